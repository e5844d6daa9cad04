"""The production report being written: its figures, names and language, the facts quoted so
far, and the figures and wording more than one part of the report quotes.

Each part of the report (``headline``, ``output``, ``reasons``, ``forecast``, ``stocks``,
``market``) is a set of functions reading one ``ProductionWriter``; quoting a figure through it
records the fact, so facts follow the order the parts are written in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from metalwire.catalog.units import UNIT_NAMES
from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import (
    ArbitrageFacts,
    PremiumFacts,
    QuotedFacts,
    decimal_of,
)
from metalwire.newsroom.phrasing import Lang
from metalwire.supply.reference import Named, provinces, reasons
from metalwire.supply.stats.model import Bridge

# Export orders explain stocks, not output (supply/data/reasons.yaml).
_STOCK_ONLY = frozenset({"export-orders"})


def bridged(stats: Mapping[str, Any], key: str) -> Bridge | None:
    """The release's bridge (``output_bridge``, ``inventory_bridge``), or None: none published
    (a first month, or a release made before bridges were), so the text stays as it was."""
    data = stats.get(key)
    if not data:
        return None

    def number(name: str) -> Decimal:
        return decimal_of(data.get(name)) or Decimal(0)

    return Bridge(
        previous=number("previous"),
        change_abs=number("change_abs"),
        change_pct=decimal_of(data.get("change_pct")),
        matched_change=decimal_of(data.get("matched_change")),
        joined_count=int(data.get("joined_count") or 0),
        joined_volume=number("joined_volume"),
        left_count=int(data.get("left_count") or 0),
        left_volume=number("left_volume"),
        unreported_count=int(data.get("unreported_count") or 0),
        unreported_volume=number("unreported_volume"),
    )


def first_published(stats: Mapping[str, Any], key: str) -> Decimal | None:
    """Last month's figure as first published, where the bridge's differs (a revision)."""
    return decimal_of((stats.get(key) or {}).get("published_previous"))


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    volume: Decimal
    respondents: int


class ProductionWriter:
    """Writes one production report; holds the facts quoted so far (reading order)."""

    def __init__(
        self,
        stats: Mapping[str, Any],
        *,
        survey_name_en: str,
        survey_name_zh: str,
        commodity_en: str,
        commodity_zh: str,
        product_en: str,
        product_zh: str,
        unit: str,
        period: str,
        lang: Lang,
        source_ref: str,
        premium: PremiumFacts | None,
        arbitrage: ArbitrageFacts | None,
        producer_types: Mapping[str, tuple[str, str]],
        tagged: bool = False,
    ) -> None:
        self.stats = stats
        self.lang = lang
        self.zh = lang == "zh"
        self.survey = survey_name_zh if self.zh else survey_name_en
        self.commodity = commodity_zh if self.zh else commodity_en
        self.product = product_zh if self.zh else product_en
        self.unit = UNIT_NAMES.get(unit, (unit, unit))[1 if self.zh else 0]
        self.period = period
        self.source_ref = source_ref
        self.premium = premium
        self.arbitrage = arbitrage
        self.producer_types = producer_types
        self.facts = QuotedFacts(tagged=tagged)

        production = decimal_of(stats.get("production"))
        if production is None:
            raise ValueError(f"stats: no production for {period}; there is nothing to report")
        self.production = production
        self.mom_abs = decimal_of(stats.get("mom_abs"))
        self.mom_pct = decimal_of(stats.get("mom_pct"))
        self.yoy_pct = decimal_of(stats.get("yoy_pct"))
        self.inventory = decimal_of(stats.get("inventory"))
        self.inventory_abs = decimal_of(stats.get("inventory_change_abs"))
        self.inventory_pct = decimal_of(stats.get("inventory_change_pct"))
        self.forecast = decimal_of(stats.get("forecast_next"))
        self.forecast_pct = decimal_of(stats.get("forecast_change_pct"))
        self.direction = None if self.mom_pct is None else ph.direction(self.mom_pct)
        self.output = bridged(stats, "output_bridge")
        self.stocks = bridged(stats, "inventory_bridge")
        # The panel changed: the matched change is not the total's, so the text says both.
        self.like_for_like = self.output is not None and self.output.panel_changed
        # Last month as first published, where revised since (supply.service.release).
        self.output_published = first_published(stats, "output_bridge")
        self.stocks_published = first_published(stats, "inventory_bridge")
        self.month = ph.month_name(period, lang)
        self.month_year = ph.month_year(period, lang)
        self.previous_month = ph.month_name(ph.shift_period(period, -1), lang)
        self.next_month = ph.month_name(ph.shift_period(period, 1), lang)
        self.reasons = self._reasons()

    def t(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def stat(self, key: str, value: str, en: str, zh: str) -> str:
        return self.facts.quote(
            key, value, "survey-statistic", f"{self.source_ref}#{key}", self.t(en, zh)
        )

    def qty(self, value: Decimal, *, signed: bool = False) -> str:
        return ph.quantity(ph.number(value, self.lang, signed=signed), self.unit, self.lang)

    def join(self, items: Sequence[str]) -> str:
        return ph.join(items, self.lang)

    def smelters(self, n: int, quoted: str | None = None) -> str:
        """'3 smelters' / '3家冶炼厂'; ``quoted`` is the count as quoted (a fact), said instead."""
        number = ph.integer(n, self.lang) if quoted is None else quoted
        if self.zh:
            return f"{number}家冶炼厂"
        return f"{number} {'smelter' if n == 1 else 'smelters'}"

    def reason_name(self, code: str) -> str:
        known = reasons().get(code)
        return known.name(self.lang) if known else code.replace("-", " ")

    def type_name(self, code: str) -> str:
        en, zh = self.producer_types.get(code, (f"{code} producers", f"{code}企业"))
        return self.t(en, zh)

    def province(self, name: str, line: Mapping[str, Any] | None = None) -> str:
        """A province's name in this language from a localized line, the reference data (by
        code or English name), or as given."""
        if line is not None and line.get(f"name_{self.lang}"):
            return str(line[f"name_{self.lang}"])
        known: Named | None = provinces().get(name)
        if known is None:
            known = next((p for p in provinces().values() if p.name_en == name), None)
        return known.name(self.lang) if known else name

    def _reasons(self) -> list[Reason]:
        out = []
        for line in self.stats.get("reasons") or []:
            volume = decimal_of(line.get("volume"))
            if volume is None or volume == 0 or line["code"] in _STOCK_ONLY:
                continue
            out.append(Reason(str(line["code"]), volume, int(line.get("respondents") or 0)))
        return out

    def production_text(self) -> str:
        return self.stat("production", self.qty(self.production), "Production", "产量")

    def mom_pct_text(self) -> str:
        assert self.mom_pct is not None
        flat = self.direction == "flat"
        return self.stat(
            "mom_pct",
            ph.percent(self.mom_pct if flat else abs(self.mom_pct), self.lang, signed=flat),
            "Production, change MoM",
            "产量环比变化",
        )

    def verb_zh(self, *, summary: bool) -> str:
        """'环比下降3.55%' and its siblings; the headline carries the direction only."""
        assert self.mom_pct is not None
        size = ph.magnitude(self.mom_pct)
        if size == "flat":
            if not summary:
                return "环比基本持平"
            if self.mom_pct == 0:
                return "环比持平"
            return f"环比基本持平（{self.mom_pct_text()}）"
        word = {"slight": "小幅", "moderate": "", "large": "大幅"}[size]
        word += "增长" if self.mom_pct > 0 else "下降"
        return f"环比{word}{self.mom_pct_text()}" if summary else f"环比{word}"
