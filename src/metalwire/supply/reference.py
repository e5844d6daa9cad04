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


def _load(file: str, key: str) -> dict[str, Named]:
    text = resources.files("metalwire.supply").joinpath(f"data/{file}").read_text("utf-8")
    return {
        item["code"]: Named(item["code"], item["name_en"], item["name_zh"])
        for item in yaml.safe_load(text)[key]
    }


@lru_cache(maxsize=1)
def provinces() -> dict[str, Named]:
    return _load("provinces.yaml", "provinces")


@lru_cache(maxsize=1)
def reasons() -> dict[str, Named]:
    return _load("reasons.yaml", "reasons")


def province_code(text: str) -> str | None:
    """A province by code or by its English or Chinese name ('Henan', '河南', 'henan')."""
    wanted = text.strip().lower()
    for code, item in provinces().items():
        if wanted in (code, item.name_en.lower(), item.name_zh):
            return code
    return None
