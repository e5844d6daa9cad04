"""Provinces and reason codes: bilingual reference data shipped with the package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Named:
    code: str
    name_en: str
    name_zh: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Moves:
    """What a reason moves ("output" or "stock") and which way (-1 down, +1 up)."""

    measure: str
    sign: int

    def agrees(self, change: float) -> bool:
        return change * self.sign > 0


def _items(file: str, key: str) -> list[dict[str, str]]:
    text = resources.files("metalwire.supply").joinpath(f"data/{file}").read_text("utf-8")
    items: list[dict[str, str]] = yaml.safe_load(text)[key]
    return items


def _load(file: str, key: str) -> dict[str, Named]:
    return {
        item["code"]: Named(item["code"], item["name_en"], item["name_zh"])
        for item in _items(file, key)
    }


@lru_cache(maxsize=1)
def provinces() -> dict[str, Named]:
    return _load("provinces.yaml", "provinces")


@lru_cache(maxsize=1)
def reasons() -> dict[str, Named]:
    return _load("reasons.yaml", "reasons")


@lru_cache(maxsize=1)
def reason_moves() -> dict[str, Moves]:
    """Each reason code's direction, from ``moves: output-down`` and the like."""
    out = {}
    for item in _items("reasons.yaml", "reasons"):
        measure, _, way = item["moves"].partition("-")
        out[item["code"]] = Moves(measure, -1 if way == "down" else 1)
    return out


def province_code(text: str) -> str | None:
    """A province by code or by its English or Chinese name ('Henan', '河南', 'henan')."""
    wanted = text.strip().lower()
    for code, item in provinces().items():
        if wanted in (code, item.name_en.lower(), item.name_zh):
            return code
    return None
