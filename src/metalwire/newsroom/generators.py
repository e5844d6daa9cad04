"""Report generators: published figures in, a draft article (English or Chinese) out.

Pure code: plain data in (a survey release's statistics as ``SurveyStats.to_dict()`` after
``supply.service.localize``; premium, arbitrage and price facts gathered by the caller), a
``Draft`` out. No database, no web, no clock, no randomness: the same data always gives the same
draft, so an editor's changes can be diffed against what the machine wrote.

The text follows the data. Every sentence is chosen by the facts it reports — a rise, a fall or
a flat month take different sentence shapes and verbs (thresholds in ``phrasing``), one province
reads differently from several, and a figure that is missing (no inventory, no YoY, no premium,
no window, no forecast movers) removes its sentence rather than leaving a blank. Every figure
the text quotes is recorded as a ``Fact`` naming the statistic or assessment it came from, in
reading order (title, summary, body); the site renders them as the sources section, so the body
carries none.

Choices a reader of the text may ask about:

* Reason volumes: a reason explains the month-on-month change of the respondents citing it
  (``supply.stats``); reasons moving output the way the total moved are the drivers, ranked by
  volume (top three), those moving it the other way "partly offset" it (top two). In a flat month
  the reasons are listed with signs. ``export-orders`` explains stocks, not output, so it is read
  only as an inventory reason (``_STOCK_REASONS``).
* The producer type behind the change is named when one type moved the way the total did and
  accounts for at least half of the change (``_TYPE_SHARE``): naming a type that explains a
  fifth of a decline would misattribute it.
* Exact figures are quoted exactly and without a qualifier ("decreased by 3.55%"); "nearly" and
  "approximately" mark rounded figures only (``phrasing.approximate_percent``, used for the
  smelter stock change), whose exact value stays in the fact's label.
* Forecast movers: up to three provinces in rank order ("provinces including ..." when more
  move), up to two of their reasons, and the producer type with the largest expected move as
  "led by": movers are netted by province and by type separately, so the text does not claim
  that the provinces' smelters are all of that type.
* Headline driver: the strongest of (a) the smelter inventory change, if at least 10 %;
  (b) the top driver reason, scored as the share of last month's output it explains; (c) the
  forecast change, if at least 1 %. Scores are percentages and the largest wins; on a tie the
  order above. Stocks swing far more than output, so the 10 % floor keeps routine stock noise
  out of the headline.
* Outlook (forecast + window): a forecast cut tightens domestic circulating supply (+1), a rise
  eases it (-1); an open export window that is still profitable draws metal abroad (+2), an
  open export window with narrowing profit, or an open import window, releases metal to the
  domestic market (-2). A window weighs double because domestic circulating supply moves with
  export and import flows far more than with one month's output change. A closed window changes
  no flow, so it gives no signal. The sign of the sum picks "tighten", "gradually increase" or
  "remain broadly stable"; the minority signals are kept ("despite ...").
* Daily prices: any non-zero change is a rise or a fall (an assessment moves in deliberate
  steps; there is no noise band as for survey totals).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from metalwire.catalog.units import UNIT_NAMES
from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.phrasing import Lang
from metalwire.supply.reference import Named, provinces, reason_moves, reasons

SourceKind = Literal["survey-statistic", "assessment", "series", "arbitrage"]
Trend = Literal["up", "down", "flat"]
ArbitrageKind = Literal["export", "import"]

_TRENDS = frozenset({"up", "down", "flat"})
# Stocks drawn down (-1) or built (+1) by a reason (supply/data/reasons.yaml); export orders
# never explain output.
_STOCK_REASONS: dict[str, int] = {
    code: moves.sign for code, moves in reason_moves().items() if moves.measure == "stock"
}
_STOCK_ONLY = frozenset({"export-orders"})
_TYPE_SHARE = Decimal("0.5")
_INVENTORY_HEADLINE_FROM = Decimal(10)
_FORECAST_HEADLINE_FROM = Decimal(1)
_HUNDRED = Decimal(100)

# How sentences name the producer types of the default survey panels (plural English, Chinese).
PRODUCER_TYPES: dict[str, tuple[str, str]] = {
    "primary": ("primary producers", "原生企业"),
    "lead-smelter by-product": ("lead smelters", "铅冶炼厂"),
    "copper-smelter by-product": ("copper smelters", "铜冶炼厂"),
    "recycling": ("recyclers", "再生企业"),
    "primary-smelter": ("primary smelters", "原生冶炼厂"),
    "recycled-copper-smelter": ("recycled-copper smelters", "再生铜冶炼厂"),
}


# --- shapes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """One figure quoted in the text and where it came from.

    ``value`` is the figure as the text quotes it (formatted for the draft's language, rounded
    wording included: "nearly 50%"); ``source_ref`` points at the statistic or assessment
    ("AG-INGOT-CN-OUTPUT/2025-10/v1#mom_pct", "assessment:123"); ``label`` names it for the
    sources section, in the draft's language.
    """

    key: str
    value: str
    source_kind: SourceKind
    source_ref: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Draft:
    """A generated article in one language; ``facts`` in reading order."""

    lang: Lang
    title: str
    summary: str
    body_markdown: str
    facts: list[Fact]
    tags: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "title": self.title,
            "summary": self.summary,
            "body_markdown": self.body_markdown,
            "facts": [fact.to_dict() for fact in self.facts],
            "tags": list(self.tags),
        }


def _check_trend(trend: str, owner: str) -> None:
    if trend not in _TRENDS:
        raise ValueError(f"{owner}: trend must be 'up', 'down' or 'flat', got {trend!r}")


@dataclass(frozen=True, slots=True)
class PremiumFacts:
    """A spot premium series over the recent trading days.

    ``low_min``/``high_max`` are the lowest low and highest high of the ``days`` assessments read
    (``series_ref`` names that window, e.g. "AG-INGOT-CN-PREMIUM/2025-10-27..2025-10-31"); the
    ``*_ref`` fields name the assessments holding each figure ("assessment:123").
    """

    series_code: str
    unit_en: str
    unit_zh: str
    low_min: Decimal
    high_max: Decimal
    latest_low: Decimal
    latest_high: Decimal
    trend: Trend
    days: int
    series_ref: str
    low_min_ref: str
    high_max_ref: str
    latest_ref: str

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"premium {self.series_code}: days must be >= 1, got {self.days}")
        if self.low_min > self.high_max or self.latest_low > self.latest_high:
            raise ValueError(f"premium {self.series_code}: a low is above its high")
        _check_trend(self.trend, f"premium {self.series_code}")


@dataclass(frozen=True, slots=True)
class ArbitrageFacts:
    """The latest export or import arbitrage: profit per unit (negative: a loss), whether the
    window is open and since when (or, closed, the day it closed if it was open in the period's
    last market days), and the profit's recent trend."""

    kind: ArbitrageKind
    profit: Decimal
    unit_en: str
    unit_zh: str
    open: bool
    opened_on: date | None
    trend: Trend
    source_ref: str
    closed_on: date | None = None

    def __post_init__(self) -> None:
        if self.closed_on is not None and self.open:
            raise ValueError("arbitrage: an open window has no closing date")
        if self.kind not in ("export", "import"):
            raise ValueError(f"arbitrage: kind must be 'export' or 'import', got {self.kind!r}")
        if self.opened_on is not None and not self.open:
            raise ValueError("arbitrage: a closed window has no opening date")
        _check_trend(self.trend, "arbitrage")


@dataclass(frozen=True, slots=True)
class PriceFacts:
    """A released assessment: range (``None`` for a single-value series), mid and change."""

    series_code: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    low: Decimal | None
    high: Decimal | None
    mid: Decimal
    change: Decimal | None
    change_pct: Decimal | None
    assessment_ref: str


@dataclass(frozen=True, slots=True)
class CorrectionFacts:
    """A published correction of ``day``'s assessment (single-value series: low == high);
    ``assessment_ref`` is the corrected version; ``reason`` is quoted as published."""

    series_code: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    day: date
    old_low: Decimal
    old_high: Decimal
    new_low: Decimal
    new_high: Decimal
    assessment_ref: str
    reason: str = ""


# --- helpers ------------------------------------------------------------------------------------


class _Facts:
    """Facts in the order first quoted; a figure quoted twice is one fact."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Fact] = {}

    def add(self, key: str, value: str, kind: SourceKind, ref: str, label: str) -> None:
        self._items.setdefault((key, ref), Fact(key, value, kind, ref, label))

    def quote(self, key: str, value: str, kind: SourceKind, ref: str, label: str) -> str:
        self.add(key, value, kind, ref, label)
        return value

    def items(self) -> list[Fact]:
        return list(self._items.values())


def _dec(value: Any) -> Decimal | None:
    """A statistic as a Decimal: JSON carries decimals as strings; floats are refused, so a
    binary approximation never reaches a published sentence."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"expected a decimal string, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sentences(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def _paragraph(lang: Lang, *parts: str | None) -> str:
    # Chinese sentences end in full-width punctuation and are not separated by spaces.
    return ("" if lang == "zh" else " ").join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class _Reason:
    code: str
    volume: Decimal
    respondents: int


@dataclass(frozen=True, slots=True)
class _Signal:
    weight: int
    en: str
    zh: str


# --- the production report ----------------------------------------------------------------------


class _Production:
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
        self.facts = _Facts()

        production = _dec(stats.get("production"))
        if production is None:
            raise ValueError(f"stats: no production for {period}; there is nothing to report")
        self.production = production
        self.mom_abs = _dec(stats.get("mom_abs"))
        self.mom_pct = _dec(stats.get("mom_pct"))
        self.yoy_pct = _dec(stats.get("yoy_pct"))
        self.inventory = _dec(stats.get("inventory"))
        self.inventory_abs = _dec(stats.get("inventory_change_abs"))
        self.inventory_pct = _dec(stats.get("inventory_change_pct"))
        self.forecast = _dec(stats.get("forecast_next"))
        self.forecast_pct = _dec(stats.get("forecast_change_pct"))
        self.direction = None if self.mom_pct is None else ph.direction(self.mom_pct)
        self.month = ph.month_name(period, lang)
        self.month_year = ph.month_year(period, lang)
        self.previous_month = ph.month_name(ph.shift_period(period, -1), lang)
        self.next_month = ph.month_name(ph.shift_period(period, 1), lang)
        self.reasons = self._reasons()

    # -- plumbing --

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

    def smelters(self, n: int) -> str:
        return f"{ph.integer(n, self.lang)}家冶炼厂" if self.zh else ph.count(n, "smelter")

    def reason_name(self, code: str) -> str:
        known = reasons().get(code)
        return known.name(self.lang) if known else code.replace("-", " ")

    def type_name(self, code: str) -> str:
        en, zh = self.producer_types.get(code, (f"{code} producers", f"{code}企业"))
        return self.t(en, zh)

    def _province(self, name: str, line: Mapping[str, Any] | None = None) -> str:
        """A province's name in this language from a localized line, the reference data (by
        code or English name), or as given."""
        if line is not None and line.get(f"name_{self.lang}"):
            return str(line[f"name_{self.lang}"])
        known: Named | None = provinces().get(name)
        if known is None:
            known = next((p for p in provinces().values() if p.name_en == name), None)
        return known.name(self.lang) if known else name

    def _reasons(self) -> list[_Reason]:
        out = []
        for line in self.stats.get("reasons") or []:
            volume = _dec(line.get("volume"))
            if volume is None or volume == 0 or line["code"] in _STOCK_ONLY:
                continue
            out.append(_Reason(str(line["code"]), volume, int(line.get("respondents") or 0)))
        return out

    def _reason_split(self) -> tuple[list[_Reason], list[_Reason]]:
        """Reasons moving output the way the total moved (drivers) and the other way."""
        if self.direction not in ("up", "down"):
            return [], []
        up = self.direction == "up"
        drivers = [r for r in self.reasons if (r.volume > 0) == up]
        offsets = [r for r in self.reasons if (r.volume > 0) != up]
        return drivers[:3], offsets[:2]

    # -- shared figures --

    def mom_pct_text(self) -> str:
        assert self.mom_pct is not None
        flat = self.direction == "flat"
        return self.stat(
            "mom_pct",
            ph.percent(self.mom_pct if flat else abs(self.mom_pct), self.lang, signed=flat),
            "Production, change MoM",
            "产量环比变化",
        )

    def inventory_pct_text(self) -> str:
        assert self.inventory_pct is not None
        approx = ph.approximate_percent(self.inventory_pct, self.lang)
        exact = ph.percent(self.inventory_pct, self.lang, signed=True)
        return self.stat(
            "inventory_change_pct",
            approx,
            f"Smelter inventory change vs the end of {self.previous_month} ({exact})",
            f"冶炼厂库存较上月末变化（{exact}）",
        )

    def stock_reason(self) -> _Reason | None:
        """The stock-moving reason respondents cited the way inventories moved, if any."""
        if self.inventory_pct is None or ph.direction(self.inventory_pct) == "flat":
            return None
        sign = 1 if self.inventory_pct > 0 else -1
        for line in self.stats.get("reasons") or []:
            if _STOCK_REASONS.get(line["code"]) == sign:
                volume = _dec(line.get("volume")) or Decimal(0)
                return _Reason(str(line["code"]), volume, int(line.get("respondents") or 0))
        return None

    def stock_reason_who(self, reason: _Reason) -> str:
        return self.stat(
            f"reasons[{reason.code}].respondents",
            ph.integer(reason.respondents, self.lang),
            f"Smelters citing {self.reason_name(reason.code)}",
            f"提及{self.reason_name(reason.code)}的冶炼厂数量",
        )

    def inventory_flat_text(self) -> str:
        assert self.inventory_pct is not None
        return self.stat(
            "inventory_change_pct",
            ph.percent(self.inventory_pct, self.lang, signed=True),
            f"Smelter inventory change vs the end of {self.previous_month}",
            "冶炼厂库存较上月末变化",
        )

    def stock_reason_text(self, reason: _Reason) -> str:
        return self.stat(
            f"reasons[{reason.code}].code",
            self.reason_name(reason.code),
            "Reason cited for the stock change",
            "库存变化原因",
        )

    # -- title and summary --

    def title(self) -> str:
        if self.zh:
            base = f"{self.month}{self.product}产量" + (
                f"为{self.production_text()}"
                if self.direction is None or self.mom_pct is None
                else self._verb_zh(summary=False)
            )
        else:
            subject = ph.title_case(f"{self.product} production")
            if self.direction is None:
                base = f"{subject} at {self.production_text()} in {self.month}"
            else:
                base = f"{subject} {self._headline_verb()} in {self.month}"
        driver = self._headline_driver()
        if not driver:
            return base
        return f"{base}，{driver}" if self.zh else f"{base}, {driver}"

    def _headline_verb(self) -> str:
        assert self.mom_pct is not None
        size = ph.magnitude(self.mom_pct)
        up = self.mom_pct > 0
        return {
            "flat": "Held Steady",
            "slight": "Edged Up" if up else "Edged Down",
            "moderate": "Rose" if up else "Declined",
            "large": "Surged" if up else "Plunged",
        }[size]

    def _verb_zh(self, *, summary: bool) -> str:
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

    def production_text(self) -> str:
        return self.stat("production", self.qty(self.production), "Production", "产量")

    def _headline_driver(self) -> str:
        candidates: list[tuple[Decimal, int, str]] = []
        if (
            self.inventory is not None
            and self.inventory_pct is not None
            and abs(self.inventory_pct) >= _INVENTORY_HEADLINE_FROM
        ):
            candidates.append((abs(self.inventory_pct), 0, "inventory"))
        drivers, _ = self._reason_split()
        if drivers and self.mom_abs is not None:
            before = self.production - self.mom_abs
            if before > 0:
                candidates.append((abs(drivers[0].volume) * _HUNDRED / before, 1, "reason"))
        if self.forecast_pct is not None and abs(self.forecast_pct) >= _FORECAST_HEADLINE_FROM:
            candidates.append((abs(self.forecast_pct), 2, "forecast"))
        if not candidates:
            return ""
        _, _, kind = max(candidates, key=lambda c: (c[0], -c[1]))
        if kind == "inventory":
            return self._inventory_headline()
        if kind == "reason":
            name = self.stat(
                f"reasons[{drivers[0].code}].code",
                self.reason_name(drivers[0].code),
                "Main reason cited",
                "主要原因",
            )
            return f"{name}为主要原因" if self.zh else f"Driven by {ph.title_case(name)}"
        return self._forecast_headline()

    def _inventory_headline(self) -> str:
        assert self.inventory_pct is not None
        down = self.inventory_pct < 0
        reason = self.stock_reason()
        if self.zh:
            # "受出口订单影响冶炼厂库存下降近50%": the cause is read first.
            cause = f"受{self.stock_reason_text(reason)}影响" if reason else ""
            return f"{cause}冶炼厂库存{'下降' if down else '增加'}{self.inventory_pct_text()}"
        pct = self.inventory_pct_text()
        text = f"Smelter Inventories {'Fell' if down else 'Rose'} {ph.title_case(pct)}"
        if reason:
            text += f" amid {ph.title_case(self.stock_reason_text(reason))}"
        return text

    def _forecast_headline(self) -> str:
        assert self.forecast_pct is not None
        cut = self.forecast_pct < 0
        same = self.direction == ("down" if cut else "up")
        recovery = not cut and self.direction == "down"
        if self.zh:
            if cut:
                return f"预计{self.next_month}{'进一步减产' if same else '产量下降'}"
            if same:
                return f"预计{self.next_month}继续增产"
            return f"预计{self.next_month}{'产量回升' if recovery else '产量增长'}"
        if cut:
            return ("Further Cuts Expected" if same else "Output Expected to Fall") + (
                f" in {self.next_month}"
            )
        if same:
            return f"Further Increases Expected in {self.next_month}"
        verb = "Recover" if recovery else "Rise"
        return f"Output Expected to {verb} in {self.next_month}"

    def summary(self) -> str:
        main = self._main_provinces()
        if self.zh:
            text = f"{self.month_year}国内{self.commodity}产量"
            if self.mom_pct is None:
                text += f"为{self.production_text()}"
            else:
                text += self._verb_zh(summary=True)
            if main:
                text += f"，{self._provinces_clause(main, share=False)}"
            return text + "。"
        if self.mom_pct is None:
            change = f"totalled {self.production_text()}"
        else:
            size = ph.magnitude(self.mom_pct)
            up = self.mom_pct > 0
            if size == "flat":
                change = (
                    "was unchanged MoM"
                    if self.mom_pct == 0
                    else f"held steady ({self.mom_pct_text()} MoM)"
                )
            else:
                verb = {
                    "slight": "edged up" if up else "edged down",
                    "moderate": "increased by" if up else "decreased by",
                    "large": "surged" if up else "plunged",
                }[size]
                change = f"{verb} {self.mom_pct_text()} MoM"
        first = f"In {self.month_year}, domestic {self.commodity} production {change}."
        return _sentences(first, self._provinces_clause(main, share=False) + "." if main else "")

    # -- body: production --

    def _main_provinces(self) -> list[tuple[str, Mapping[str, Any] | None]]:
        lines = list(self.stats.get("by_province") or [])
        out = []
        for name in self.stats.get("main_provinces") or []:
            line = next(
                (
                    item
                    for item in lines
                    if name in (item.get("name_en"), item.get("name"), item.get("name_zh"))
                ),
                None,
            )
            out.append((str(name), line))
        return out

    def _provinces_clause(
        self, main: list[tuple[str, Mapping[str, Any] | None]], *, share: bool
    ) -> str:
        names = [self._province(name, line) for name, line in main]
        listed = self.stat(
            "main_provinces", self.join(names), "Main supply provinces", "主要供应省份"
        )
        first_name, first_line = main[0]
        share_text = ""
        if share and first_line is not None and _dec(first_line.get("share")) is not None:
            code = first_line.get("name", first_name)
            share_text = self.stat(
                f"by_province[{code}].share",
                ph.percent(_dec(first_line["share"]) or Decimal(0), self.lang),
                f"{names[0]}, share of output",
                f"{names[0]}产量占比",
            )
        if self.zh:
            if len(names) == 1:
                text = f"主要供应省份为{listed}"
                return text + (f"，产量占比{share_text}" if share_text else "")
            text = f"主要供应省份包括{listed}"
            return text + (f"，其中{names[0]}产量占比{share_text}" if share_text else "")
        if len(names) == 1:
            text = f"{listed} was the main supply province"
            return text + (f", accounting for {share_text} of output" if share_text else "")
        text = f"Major supply provinces included {listed}"
        return text + (
            f", with {names[0]} alone accounting for {share_text} of output" if share_text else ""
        )

    def production_paragraph(self) -> str:
        main = self._main_provinces()
        return _paragraph(
            self.lang,
            self._production_sentence(),
            self._provinces_clause(main, share=True) + self.t(".", "。") if main else None,
            self._producer_type_sentence(),
            *self._reason_sentences(),
            self._imputation_sentence(),
        )

    def _mom_abs_text(self, *, signed: bool = False) -> str:
        assert self.mom_abs is not None
        value = self.mom_abs if signed else abs(self.mom_abs)
        return self.stat(
            "mom_abs", self.qty(value, signed=signed), "Production, change MoM", "产量环比变化量"
        )

    def _yoy_clause(self) -> str:
        if self.yoy_pct is None:
            return ""
        direction = ph.direction(self.yoy_pct)
        flat = direction == "flat"
        pct = self.stat(
            "yoy_pct",
            ph.percent(self.yoy_pct if flat else abs(self.yoy_pct), self.lang, signed=flat),
            "Production, change YoY",
            "产量同比变化",
        )
        opposite = self.direction in ("up", "down") and direction not in (self.direction, "flat")
        if self.zh:
            if flat:
                return f"，同比基本持平（{pct}）"
            word = "增长" if direction == "up" else "下降"
            return f"，{'但' if opposite else ''}同比{'仍' if opposite else ''}{word}{pct}"
        if flat:
            return f", and was little changed YoY ({pct})"
        word = "up" if direction == "up" else "down"
        return f", {'but' if opposite else 'and'} was {word} {pct} YoY"

    def _production_sentence(self) -> str:
        # Figures are quoted (and so recorded as facts) in the order the sentence reads them.
        level = self.production_text()
        if self.zh:
            text = f"据{self.survey}调研，{self.month_year}国内{self.commodity}产量为{level}"
            if self.mom_pct is None:
                return text + self._yoy_clause() + "。"
            if ph.magnitude(self.mom_pct) == "flat":
                if self.mom_pct == 0:
                    return f"{text}，与上月持平{self._yoy_clause()}。"
                pct = self.mom_pct_text()
                extra = f"，{self._mom_abs_text(signed=True)}" if self.mom_abs is not None else ""
                return f"{text}，环比基本持平（{pct}{extra}）{self._yoy_clause()}。"
            change = self._verb_zh(summary=True)
            if self.mom_abs is not None:
                change += f"，{'增加' if self.mom_pct > 0 else '减少'}{self._mom_abs_text()}"
            return f"{text}，{change}{self._yoy_clause()}。"

        lead = f"According to the {self.survey} survey, domestic {self.commodity} production"
        if self.mom_pct is None:
            return f"{lead} totalled {level} in {self.month_year}{self._yoy_clause()}."
        size = ph.magnitude(self.mom_pct)
        up = self.mom_pct > 0
        if size == "flat":
            if self.mom_pct == 0:
                tail = f"unchanged from {self.previous_month}"
            else:
                pct = self.mom_pct_text()
                extra = f" ({self._mom_abs_text(signed=True)})" if self.mom_abs is not None else ""
                tail = f"a change of {pct}{extra} from {self.previous_month}"
            return (
                f"{lead} held steady in {self.month_year} at {level}, {tail}{self._yoy_clause()}."
            )
        verb = {
            "slight": "edged up" if up else "edged down",
            "moderate": "rose by" if up else "declined by",
            "large": "surged" if up else "plunged",
        }[size]
        text = f"{lead} {verb} {self.mom_pct_text()} MoM in {self.month_year} to {level}"
        if self.mom_abs is not None:
            amount = self._mom_abs_text()
            if size == "slight":
                text += f", {'up' if up else 'down'} {amount} from {self.previous_month}"
            else:
                noun = "an increase" if up else "a drop"
                text += f", {noun} of {amount} from {self.previous_month}"
        return f"{text}{self._yoy_clause()}."

    def _producer_type_sentence(self) -> str | None:
        if self.direction not in ("up", "down") or not self.mom_abs:
            return None
        lines = list(self.stats.get("by_producer_type") or [])
        if len(lines) < 2:
            return None
        up = self.direction == "up"
        moving = []
        for line in lines:
            change = _dec(line.get("change_abs"))
            if change is not None and change != 0 and (change > 0) == up:
                moving.append((abs(change), str(line["name"]), line))
        if not moving:
            return None
        size, name, line = max(moving, key=lambda m: (m[0], m[1]))
        if size < _TYPE_SHARE * abs(self.mom_abs):
            return None
        who = self.stat(
            f"by_producer_type[{name}].name",
            self.type_name(name),
            "Producer type behind the change",
            "主要变化的企业类型",
        )
        amount = self.stat(
            f"by_producer_type[{name}].change_abs",
            self.qty(size),
            f"{self.type_name(name)}, change MoM",
            f"{self.type_name(name)}环比变化量",
        )
        pct_value = _dec(line.get("change_pct"))
        pct = (
            self.stat(
                f"by_producer_type[{name}].change_pct",
                ph.percent(abs(pct_value), self.lang),
                f"{self.type_name(name)}, change MoM (%)",
                f"{self.type_name(name)}环比变化率",
            )
            if pct_value is not None
            else None
        )
        if self.zh:
            text = (
                f"分企业类型看，{'增量' if up else '减量'}主要来自{who}，"
                f"环比{'增加' if up else '减少'}{amount}"
            )
            return text + (f"（{'增幅' if up else '降幅'}{pct}）" if pct else "") + "。"
        text = (
            f"By producer type, the {'increase' if up else 'reduction'} came mainly from {who}, "
            f"whose output {'rose' if up else 'fell'} by {amount}"
        )
        return text + (f" ({pct})" if pct else "") + "."

    def _reason_item(self, reason: _Reason, *, signed: bool) -> tuple[str, str, str]:
        """(name, volume, smelters) quoted as facts."""
        name = self.stat(
            f"reasons[{reason.code}].code",
            self.reason_name(reason.code),
            "Reason cited",
            "原因",
        )
        volume = self.stat(
            f"reasons[{reason.code}].volume",
            self.qty(reason.volume if signed else abs(reason.volume), signed=signed),
            f"Output change of smelters citing {self.reason_name(reason.code)}",
            f"提及{self.reason_name(reason.code)}的冶炼厂产量变化",
        )
        count = self.stat(
            f"reasons[{reason.code}].respondents",
            ph.integer(reason.respondents, self.lang),
            f"Smelters citing {self.reason_name(reason.code)}",
            f"提及{self.reason_name(reason.code)}的冶炼厂数量",
        )
        return name, volume, self.smelters(int(count))

    def _reason_list(self, items: list[_Reason], *, signed: bool) -> str:
        parts = []
        for reason in items:
            name, volume, who = self._reason_item(reason, signed=signed)
            parts.append(f"{name}（{volume}，{who}）" if self.zh else f"{name} ({volume} at {who})")
        return self.join(parts)

    def _reason_sentences(self) -> list[str]:
        if self.direction == "flat":
            items = self.reasons[:3]
            if not items:
                return []
            both = any(r.volume > 0 for r in items) and any(r.volume < 0 for r in items)
            listed = self._reason_list(items, signed=True)
            if self.zh:
                return [
                    f"受访企业提及的原因包括{listed}"
                    + ("，增减基本相互抵消" if both else "")
                    + "。"
                ]
            tail = ", which largely offset each other" if both else ""
            return [f"Respondents cited {listed}{tail}."]
        drivers, offsets = self._reason_split()
        up = self.direction == "up"
        out = []
        if drivers:
            name, volume, who = self._reason_item(drivers[0], signed=False)
            rest = self._reason_list(drivers[1:], signed=False) if drivers[1:] else ""
            if self.zh:
                text = f"从原因看，{name}是主要原因，影响产量{volume}，涉及{who}"
                out.append(text + (f"，其次为{rest}" if rest else "") + "。")
            else:
                text = (
                    f"{ph.capitalize(name)} was the main reason cited, accounting for {volume} "
                    f"of {'higher' if up else 'lower'} output at {who}"
                )
                out.append(text + (f", followed by {rest}" if rest else "") + ".")
        if offsets:
            listed = self._reason_list(offsets, signed=False)
            if self.zh:
                out.append(f"{listed}部分抵消了{'增量' if up else '减量'}。")
            else:
                out.append(
                    f"{ph.capitalize(listed)} partly offset the {'increase' if up else 'decline'}."
                )
        return out

    def _imputation_sentence(self) -> str | None:
        n = self.stats.get("imputed_count")
        if not n:
            return None
        count = self.stat(
            "imputed_count", ph.integer(int(n), self.lang), "Smelters imputed", "估算冶炼厂数量"
        )
        share_value = _dec(self.stats.get("imputed_share"))
        share = (
            self.stat(
                "imputed_share",
                ph.percent(share_value, self.lang),
                "Imputed share of output",
                "估算量占比",
            )
            if share_value is not None
            else None
        )
        if self.zh:
            tail = f"（占产量的{share}）" if share else ""
            return f"总量中包含对{count}家未报送冶炼厂的估算{tail}。"
        tail = f" ({share} of output)" if share else ""
        who = self.smelters(int(count))
        return f"The total includes estimates for {who} that had not reported{tail}."

    # -- body: forecast --

    def forecast_paragraph(self) -> str:
        movers = self.stats.get("forecast_movers") or {}
        total = self._forecast_sentence()
        cuts = self._mover_sentence(list(movers.get("cuts") or []), cut=True)
        increases = self._mover_sentence(list(movers.get("increases") or []), cut=False)
        if cuts and increases:
            increases = (
                f"同时，{increases}"
                if self.zh
                else f"Meanwhile, {increases[:1].lower()}{increases[1:]}"
            )
        return _paragraph(self.lang, total, cuts, increases)

    def _forecast_sentence(self) -> str | None:
        if self.forecast is None:
            return None
        level = self.stat("forecast_next", self.qty(self.forecast), "Forecast output", "预测产量")
        pct = self.forecast_pct
        if self.zh:
            text = f"冶炼厂预计{self.next_month}产量为{level}"
            if pct is not None:
                size = ph.magnitude(pct)
                if size == "flat":
                    text += f"，较{self.month}基本持平（{self._forecast_pct_text(signed=True)}）"
                else:
                    word = ("大幅" if size == "large" else "") + ("增长" if pct > 0 else "下降")
                    text += f"，较{self.month}{word}{self._forecast_pct_text()}"
            return text + "。"
        text = f"Forecasts point to {self.next_month} output of {level}"
        if pct is not None:
            size = ph.magnitude(pct)
            if size == "flat":
                text += (
                    f", broadly unchanged from {self.month} "
                    f"({self._forecast_pct_text(signed=True)})"
                )
            elif size == "large":
                noun = "a sharp rise" if pct > 0 else "a sharp drop"
                text += f", {noun} of {self._forecast_pct_text()} from {self.month}"
            else:
                word = "up" if pct > 0 else "down"
                text += f", {word} {self._forecast_pct_text()} from {self.month}"
        return text + "."

    def _forecast_pct_text(self, *, signed: bool = False) -> str:
        assert self.forecast_pct is not None
        value = self.forecast_pct if signed else abs(self.forecast_pct)
        return self.stat(
            "forecast_change_pct",
            ph.percent(value, self.lang, signed=signed),
            "Forecast change vs this month",
            "预测产量较本月变化",
        )

    def _mover_sentence(self, movers: list[Mapping[str, Any]], *, cut: bool) -> str | None:
        side = "cuts" if cut else "increases"
        places = [m for m in movers if m.get("kind") == "province"]
        kinds = [m for m in movers if m.get("kind") == "producer_type"]
        if not places and not kinds:
            return None
        listed = places[:3]
        codes: list[str] = []
        for mover in listed or kinds[:1]:
            for code in mover.get("reasons") or []:
                if code not in codes:
                    codes.append(str(code))
        codes = codes[:2]
        further = self.direction == ("down" if cut else "up")
        more = len(places) > 3

        # Quoted lazily, in the order each language reads them (facts follow reading order).
        def why() -> str:
            if not codes:
                return ""
            return self.stat(
                f"forecast_movers.{side}.reasons",
                self.join([self.reason_name(code) for code in codes]),
                "Reasons for the expected " + ("cuts" if cut else "increases"),
                "预期" + ("减产" if cut else "增产") + "原因",
            )

        def lead_type() -> str:
            if not kinds:
                return ""
            return self.stat(
                f"forecast_movers.{side}[{kinds[0]['name']}]",
                self.type_name(str(kinds[0]["name"])),
                "Producer type with the largest expected " + ("cut" if cut else "increase"),
                "预期" + ("减量" if cut else "增量") + "最大的企业类型",
            )

        def where() -> str:
            return self.stat(
                f"forecast_movers.{side}.provinces",
                self.join([self._province(str(m["name"]), m) for m in listed]),
                "Provinces expecting " + ("cuts" if cut else "increases"),
                "预期" + ("减产" if cut else "增产") + "省份",
            )

        if self.zh:
            action = ("进一步" if further else "") + ("减产" if cut else "增产")
            if listed:
                text = f"{where()}{'等地' if more else ''}的冶炼厂预计{self.next_month}将"
                reasons_ = why()
                text += (f"受{reasons_}影响" if reasons_ else "") + action
                if kinds:
                    text += f"，其中{lead_type()}{'减量' if cut else '增量'}最大"
                return text + "。"
            text = f"{lead_type()}预计{self.next_month}将"
            reasons_ = why()
            return text + (f"受{reasons_}影响" if reasons_ else "") + f"{action}。"
        action = ("further " if further else "") + ("reduce" if cut else "raise")
        if listed:
            subject = f"Smelters in {'provinces including ' if more else ''}{where()}"
            if kinds:
                subject += f", led by {lead_type()},"
        else:
            subject = ph.capitalize(lead_type())
        reasons_ = why()
        tail = f" production in {self.next_month}" + (f", citing {reasons_}" if reasons_ else "")
        return f"{subject} are expected to {action}{tail}."

    # -- body: inventory, premium, window, outlook --

    def stock_paragraph(self) -> str:
        return _paragraph(self.lang, self._inventory_sentence(), self._premium_sentence())

    def _inventory_sentence(self) -> str | None:
        if self.inventory is None:
            return None
        level = self.stat(
            "inventory",
            self.qty(self.inventory),
            "Smelter inventory, end of month",
            "冶炼厂月末库存",
        )
        pct = self.inventory_pct
        if pct is None:
            return self.t(
                f"Smelter inventories stood at {level} at the end of {self.month}.",
                f"库存方面，截至{self.month}末冶炼厂库存为{level}。",
            )
        if ph.direction(pct) == "flat":
            exact = self.inventory_flat_text()
            return self.t(
                f"Smelter inventories were little changed at {level} at the end of {self.month} "
                f"({exact} from the end of {self.previous_month}).",
                f"库存方面，截至{self.month}末冶炼厂库存为{level}，较上月末基本持平（{exact}）。",
            )
        down = pct < 0
        reason = self.stock_reason()
        amount = self._inventory_abs_text() if self.inventory_abs is not None else None
        change = self.inventory_pct_text()
        if self.zh:
            text = f"库存方面，截至{self.month}末冶炼厂库存为{level}，较上月末"
            if amount:
                text += (
                    f"{'减少' if down else '增加'}{amount}，{'降幅' if down else '增幅'}{change}"
                )
            else:
                text += f"{'下降' if down else '增加'}{change}"
            if reason:
                who = self.stock_reason_who(reason)
                text += f"，期间有{who}家冶炼厂反馈{self.stock_reason_text(reason)}"
            return text + "。"
        word = "down" if down else "up"
        verb = "fell" if down else "rose"
        text = f"Smelter inventories {verb} to {level} at the end of {self.month}, "
        text += f"{word} {amount}, or {change}, " if amount else f"{word} {change} "
        text += f"from the end of {self.previous_month}"
        if reason:
            who = self.smelters(int(self.stock_reason_who(reason)))
            text += f", with {who} citing {self.stock_reason_text(reason)}"
        return text + "."

    def _inventory_abs_text(self) -> str:
        assert self.inventory_abs is not None
        return self.stat(
            "inventory_change_abs",
            self.qty(abs(self.inventory_abs)),
            f"Smelter inventory change vs the end of {self.previous_month}",
            "冶炼厂库存较上月末变化量",
        )

    def _premium_sentence(self) -> str | None:
        p = self.premium
        if p is None:
            return None
        unit = p.unit_zh if self.zh else p.unit_en
        code = p.series_code

        def quote(key: str, value: Decimal, ref: str, en: str, zh: str) -> None:
            shown = ph.quantity(
                ph.number(abs(value) if discount else value, self.lang), unit, self.lang
            )
            self.facts.add(f"{code}#{key}", shown, "assessment", ref, self.t(en, zh))

        discount = p.high_max <= 0 and p.low_min < 0  # every quote a discount: say so
        mixed = p.low_min < 0 < p.high_max

        def shown_range(low: Decimal, high: Decimal) -> str:
            if discount:
                low, high = abs(high), abs(low)
            return ph.quantity(ph.value_range(low, high, self.lang), unit, self.lang)

        def quote_days() -> str:
            label = self.t("Trading days read", "交易日数")
            return self.facts.quote(
                f"{code}#days", ph.integer(p.days, self.lang), "series", p.series_ref, label
            )

        # Chinese reads the window ("近5个交易日") before the range, English after it.
        days = quote_days() if self.zh else ""
        # A range of discounts reads by size ("10-30"): its high is quoted first.
        first, second = ("high", "low") if discount else ("low", "high")
        extremes = {
            "low": ("low_min", p.low_min, p.low_min_ref, "Range low", "区间低值"),
            "high": ("high_max", p.high_max, p.high_max_ref, "Range high", "区间高值"),
        }
        quote(*extremes[first])
        quote(*extremes[second])
        window = shown_range(p.low_min, p.high_max)
        latest = ""
        if (p.latest_low, p.latest_high) != (p.low_min, p.high_max):
            ends = {
                "low": ("latest_low", p.latest_low, p.latest_ref, "Latest low", "最新低值"),
                "high": ("latest_high", p.latest_high, p.latest_ref, "Latest high", "最新高值"),
            }
            quote(*ends[first])
            quote(*ends[second])
            latest = shown_range(p.latest_low, p.latest_high)
        days = days or quote_days()
        trend_words = {
            "up": ("trending higher", "呈走高态势"),
            "down": ("trending lower", "呈回落态势"),
            "flat": ("holding stable", "保持平稳"),
        }[p.trend]
        trend = self.facts.quote(
            f"{code}#trend", self.t(*trend_words), "series", p.series_ref, self.t("Trend", "走势")
        )
        if self.zh:
            what = "升贴水" if mixed else ("贴水" if discount else "升水")
            when = f"近{days}个交易日" if p.days > 1 else "最新交易日"
            steady = p.low_min == p.high_max
            text = f"现货市场方面，{when}国内{self.product}{what}报价"
            text += f"为{window}" if steady else f"在{window}之间"
            if latest:
                text += f"，最新报{latest}"
            return text + f"，{what}{trend}。"
        what = "premiums/discounts" if mixed else ("discounts" if discount else "premiums")
        if p.days > 1:
            shape = (
                f"were steady at {window}"
                if p.low_min == p.high_max
                else f"ranged between {window}"
            )
            text = (
                f"In the domestic spot market, {self.product} {what} {shape} "
                f"over the past {days} trading days"
            )
        else:
            text = (
                f"In the domestic spot market, {self.product} {what} were quoted at {window} "
                f"on the latest trading day"
            )
        if latest:
            text += f", with the latest quotes at {latest}"
        return f"{text}, {trend}."

    def market_paragraph(self) -> str:
        return _paragraph(self.lang, self._window_sentence(), self._outlook_sentence())

    def _window_sentence(self) -> str | None:
        a = self.arbitrage
        if a is None:
            return None
        unit = a.unit_zh if self.zh else a.unit_en
        ref = a.source_ref
        kind_en = a.kind
        kind_zh = "出口" if a.kind == "export" else "进口"

        def quote_state() -> str:
            return self.facts.quote(
                f"arbitrage.{a.kind}.open",
                self.t("open" if a.open else "closed", "打开" if a.open else "关闭"),
                "arbitrage",
                ref,
                self.t(f"{ph.capitalize(kind_en)} window", f"{kind_zh}窗口"),
            )

        def quote_since() -> str:
            if a.opened_on is None:
                return ""
            return self.facts.quote(
                f"arbitrage.{a.kind}.opened_on",
                ph.format_date(a.opened_on, self.lang),
                "arbitrage",
                ref,
                self.t("Window open since", "窗口打开日期"),
            )

        def quote_closed() -> str:
            assert a.closed_on is not None
            return self.facts.quote(
                f"arbitrage.{a.kind}.closed_on",
                ph.format_date(a.closed_on, self.lang),
                "arbitrage",
                ref,
                self.t("Window closed on", "窗口关闭日期"),
            )

        # In reading order: "窗口自9月26日起保持打开" / "has been open since September 26".
        if self.zh:
            since = quote_since()
            state = quote_state()
        else:
            state = quote_state()
            since = quote_since()
        loss = a.profit < 0
        amount = self.facts.quote(
            f"arbitrage.{a.kind}.profit",
            ph.quantity(ph.number(abs(a.profit), self.lang), unit, self.lang),
            "arbitrage",
            ref,
            self.t(
                f"Latest {kind_en} {'loss' if loss else 'profit'}",
                f"最新{kind_zh}{'亏损' if loss else '盈利'}",
            ),
        )
        # A rising profit widens a profit and narrows a loss.
        widening = {"up": not loss, "down": loss, "flat": None}[a.trend]
        trend = self.facts.quote(
            f"arbitrage.{a.kind}.trend",
            self.t(
                "stable" if widening is None else ("widening" if widening else "narrowing"),
                "保持平稳" if widening is None else ("有所扩大" if widening else "有所收窄"),
            ),
            "arbitrage",
            ref,
            self.t("Trend", "走势"),
        )
        if self.zh:
            if a.open:
                head = (
                    f"{kind_zh}窗口自{since}起保持{state}"
                    if since
                    else f"{kind_zh}窗口处于{state}状态"
                )
            elif a.closed_on is not None:
                head = f"{kind_zh}窗口于{quote_closed()}{state}"
            else:
                head = f"{kind_zh}窗口保持{state}"
            noun = "亏损" if loss else "盈利"
            return f"{head}，最新{kind_zh}{noun}为{amount}，{noun}{trend}。"
        if a.open:
            head = (
                f"The {kind_en} window has been {state} since {since}"
                if since
                else f"The {kind_en} window was {state}"
            )
        elif a.closed_on is not None:
            # Open earlier in the period: "remained closed" would deny the exports it drew.
            head = f"The {kind_en} window {state} on {quote_closed()}"
        else:
            head = f"The {kind_en} window remained {state}"
        noun = "loss" if loss else "profit"
        return f"{head}, with the latest {kind_en} {noun} at {amount} and {trend}."

    def _outlook_sentence(self) -> str | None:
        signals: list[_Signal] = []
        if self.forecast_pct is not None:
            direction = ph.direction(self.forecast_pct)
            signals.append(
                {
                    "down": _Signal(1, "smelters planning lower output", "冶炼厂计划减产"),
                    "up": _Signal(-1, "smelters planning higher output", "冶炼厂计划增产"),
                    "flat": _Signal(0, "smelters expecting stable output", "冶炼厂产量预期平稳"),
                }[direction]
            )
        a = self.arbitrage
        if a is not None and a.open:
            if a.kind == "import":
                signals.append(_Signal(-2, "the import window open", "进口窗口打开"))
            elif a.trend == "down":
                signals.append(_Signal(-2, "export profits narrowing", "出口利润收窄"))
            else:
                signals.append(_Signal(2, "the export window still open", "出口窗口仍处于打开状态"))
        if not signals:
            return None
        net = sum(s.weight for s in signals)
        tighter = [s for s in signals if s.weight > 0]
        looser = [s for s in signals if s.weight < 0]
        neutral = [s for s in signals if s.weight == 0]
        subject_en = f"domestic circulating {self.commodity} supply"
        subject_zh = f"国内{self.commodity}流通供应"

        def words(items: list[_Signal]) -> str:
            return "且".join(s.zh for s in items) if self.zh else self.join([s.en for s in items])

        if net == 0 and tighter and looser:
            if self.zh:
                return (
                    f"{words(tighter)}，但{words(looser)}，"
                    f"预计{self.next_month}{subject_zh}将大体保持平稳。"
                )
            return (
                f"With {words(tighter)} but {words(looser)}, {subject_en} is expected to remain "
                f"broadly stable in {self.next_month}."
            )
        if net > 0:
            main, minor, en, zh = tighter, looser, "tighten", "趋紧"
        elif net < 0:
            main, minor, en, zh = looser, tighter, "gradually increase", "逐步增加"
        else:
            main, minor, en, zh = neutral, [], "remain broadly stable", "大体保持平稳"
        if self.zh:
            despite = f"尽管{words(minor)}，但" if minor else ""
            return f"{despite}考虑到{words(main)}，预计{self.next_month}{subject_zh}将{zh}。"
        despite = f", despite {words(minor)}" if minor else ""
        return (
            f"With {words(main)}, {subject_en} is expected to {en} in {self.next_month}{despite}."
        )

    # -- assembly --

    def draft(self, tags: list[str]) -> Draft:
        title = self.title()
        summary = self.summary()
        paragraphs = [
            self.production_paragraph(),
            self.forecast_paragraph(),
            self.stock_paragraph(),
            self.market_paragraph(),
        ]
        return Draft(
            lang=self.lang,
            title=title,
            summary=summary,
            body_markdown="\n\n".join(p for p in paragraphs if p) + "\n",
            facts=self.facts.items(),
            tags=tags,
        )


def production_report(
    stats: Mapping[str, Any],
    *,
    survey_name_en: str,
    survey_name_zh: str,
    commodity_en: str,
    commodity_zh: str,
    unit: str,
    period: str,
    lang: str,
    source_ref: str,
    premium: PremiumFacts | None = None,
    arbitrage: ArbitrageFacts | None = None,
    product_en: str | None = None,
    product_zh: str | None = None,
    producer_types: Mapping[str, tuple[str, str]] | None = None,
) -> Draft:
    """A monthly production report drafted from one survey release.

    ``stats`` is ``SurveyStats.to_dict()`` after ``supply.service.localize`` (decimals as
    strings); ``commodity_*`` names the metal in sentences ("domestic silver production"),
    ``product_*`` the product in the headline and the premium sentence (default: the commodity;
    e.g. "silver ingot" / "银锭"); ``unit`` is the survey's unit code ("mt"); ``source_ref``
    names the release ("AG-INGOT-CN-OUTPUT/2025-10/v1") and prefixes every statistic's
    reference. ``producer_types`` overrides how producer-type codes are named (plural English,
    Chinese); the default panels' types are known (``PRODUCER_TYPES``).
    """
    checked = ph.check_lang(lang)
    ph.parse_period(period)
    stated = stats.get("period")
    if stated is not None and stated != period:
        raise ValueError(f"stats are for {stated}, not for {period}")
    writer = _Production(
        stats,
        survey_name_en=survey_name_en,
        survey_name_zh=survey_name_zh,
        commodity_en=commodity_en,
        commodity_zh=commodity_zh,
        product_en=product_en or commodity_en,
        product_zh=product_zh or commodity_zh,
        unit=unit,
        period=period,
        lang=checked,
        source_ref=source_ref,
        premium=premium,
        arbitrage=arbitrage,
        producer_types={**PRODUCER_TYPES, **(producer_types or {})},
    )
    tags = [_slug(commodity_en), "production", "supply-survey", source_ref.split("/")[0]]
    if premium is not None:
        tags.append(premium.series_code)
    if arbitrage is not None:
        tags.append(f"{arbitrage.kind}-arbitrage")
    return writer.draft(list(dict.fromkeys(tag for tag in tags if tag)))


# --- the daily price report ---------------------------------------------------------------------


class _Daily:
    """Writes one daily price report; holds the facts quoted so far (reading order)."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.zh = lang == "zh"
        self.facts = _Facts()

    def t(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def name(self, price: PriceFacts | CorrectionFacts) -> str:
        return price.name_zh if self.zh else price.name_en

    def unit(self, price: PriceFacts | CorrectionFacts) -> str:
        return price.unit_zh if self.zh else price.unit_en

    def figure(self, price: PriceFacts, key: str, value: Decimal, en: str, zh: str) -> str:
        """Records one of a price's figures; returns it formatted (unit left to the caller)."""
        text = ph.number(value, self.lang)
        shown = ph.quantity(text, self.unit(price), self.lang)
        label = f"{self.name(price)}: {self.t(en, zh)}"
        self.facts.add(
            f"{price.series_code}#{key}", shown, "assessment", price.assessment_ref, label
        )
        return text

    def level(self, price: PriceFacts) -> str:
        """'78,900-79,200 yuan/mt' (the range), or the mid for a single-value series."""
        if price.low is None or price.high is None:
            text = self.figure(price, "mid", price.mid, "mid", "均价")
        else:
            self.figure(price, "low", price.low, "low", "低值")
            self.figure(price, "high", price.high, "high", "高值")
            text = ph.value_range(price.low, price.high, self.lang)
        return ph.quantity(text, self.unit(price), self.lang)

    def pct(self, price: PriceFacts, *, signed: bool = False) -> str:
        assert price.change_pct is not None
        value = price.change_pct if signed else abs(price.change_pct)
        shown = ph.percent(value, self.lang, signed=signed)
        label = f"{self.name(price)}: {self.t('change (%)', '涨跌幅')}"
        self.facts.add(
            f"{price.series_code}#change_pct", shown, "assessment", price.assessment_ref, label
        )
        return shown

    def change(self, price: PriceFacts, *, signed: bool = False) -> str:
        assert price.change is not None
        value = price.change if signed else abs(price.change)
        text = ph.number(value, self.lang, signed=signed)
        label = f"{self.name(price)}: {self.t('change', '涨跌')}"
        self.facts.add(
            f"{price.series_code}#change",
            ph.quantity(text, self.unit(price), self.lang),
            "assessment",
            price.assessment_ref,
            label,
        )
        return text

    def mover_sentence(self, price: PriceFacts, *, leads: bool) -> str:
        assert price.change_pct is not None
        name = self.name(price)
        if price.change_pct == 0:
            level = self.level(price)
            return self.t(f"{name} was unchanged at {level}.", f"{name}持平，报{level}。")
        up = price.change_pct > 0
        # Quoted in reading order: amount, percentage, level.
        amount = (
            ph.quantity(self.change(price), self.unit(price), self.lang)
            if price.change is not None
            else None
        )
        pct = self.pct(price)
        level = self.level(price)
        if self.zh:
            verb = "上涨" if up else "下跌"
            lead = f"{name}{'领涨' if up else '领跌'}，{verb}" if leads else f"{name}{verb}"
            by = f"{amount}（{pct}）" if amount else pct
            return f"{lead}{by}至{level}。"
        if leads:
            lead = f"{name} led {'gains' if up else 'losses'}, {'rising' if up else 'falling'}"
        else:
            lead = f"{name} {'rose' if up else 'fell'}"
        by = f"{amount} ({pct})" if amount else pct
        return f"{lead} {by} to {level}."

    def table(self, prices: Sequence[PriceFacts]) -> str:
        head = self.t("| Series | Range | Mid | Change |", "| 品种 | 价格区间 | 均价 | 涨跌 |")
        rows = [head, "|---|---|---:|---:|"]
        for price in prices:
            # A pipe inside a name would split the Markdown cell.
            name = f"{self.name(price)}{self.t(f' ({price.unit_en})', f'（{price.unit_zh}）')}"
            name = name.replace("|", "\\|")
            if price.low is None or price.high is None:
                span = "—"
            else:
                self.figure(price, "low", price.low, "low", "低值")
                self.figure(price, "high", price.high, "high", "高值")
                span = ph.value_range(price.low, price.high, self.lang)
            mid = self.figure(price, "mid", price.mid, "mid", "均价")
            parts = []
            if price.change is not None:
                parts.append(self.change(price, signed=True))
            if price.change_pct is not None:
                pct = self.pct(price, signed=True)
                parts.append(self.t(f" ({pct})", f"（{pct}）") if parts else pct)
            moved = "".join(parts) or "—"
            rows.append(f"| {name} | {span} | {mid} | {moved} |")
        return "\n".join(rows)

    def correction_line(self, item: CorrectionFacts) -> str:
        unit = self.unit(item)
        code, ref = item.series_code, item.assessment_ref
        day = ph.format_date(item.day, self.lang, short=True)
        for key, value, en, zh in (
            ("old_low", item.old_low, "published low", "原低值"),
            ("old_high", item.old_high, "published high", "原高值"),
            ("new_low", item.new_low, "corrected low", "更正后低值"),
            ("new_high", item.new_high, "corrected high", "更正后高值"),
        ):
            label = f"{self.name(item)} {day}: {self.t(en, zh)}"
            shown = ph.quantity(ph.number(value, self.lang), unit, self.lang)
            self.facts.add(f"{code}/{item.day.isoformat()}#{key}", shown, "assessment", ref, label)
        old = ph.quantity(ph.value_range(item.old_low, item.old_high, self.lang), unit, self.lang)
        new = ph.quantity(ph.value_range(item.new_low, item.new_high, self.lang), unit, self.lang)
        reason = item.reason.strip()
        if self.zh:
            tail = f"原因：{reason}" if reason else ""
            if tail and not tail.endswith("。"):
                tail += "。"
            return f"- {day}{self.name(item)}由{old}更正为{new}。{tail}"
        tail = f" Reason: {reason}" if reason else ""
        if tail and not tail.endswith("."):
            tail += "."
        return f"- {self.name(item)} for {day} corrected: {old} should be {new}.{tail}"


def daily_price_report(
    group_name_en: str,
    group_name_zh: str,
    day: date,
    prices: Sequence[PriceFacts],
    corrections: Sequence[CorrectionFacts],
    *,
    lang: str,
) -> Draft:
    """The day's released prices of one group (e.g. Base Metals): the largest movers, a table
    of every price, and the corrections published with them."""
    checked = ph.check_lang(lang)
    if not prices:
        raise ValueError(f"prices: no released prices for {group_name_en} on {day.isoformat()}")
    w = _Daily(checked)
    zh = checked == "zh"
    group = group_name_zh if zh else group_name_en
    when = ph.format_date(day, checked, short=True)
    moved = [p for p in prices if p.change_pct is not None]
    ups = sorted((p for p in moved if p.change_pct and p.change_pct > 0), key=_rank)
    downs = sorted((p for p in moved if p.change_pct and p.change_pct < 0), key=_rank)
    everyone_up = len(ups) == len(prices)
    everyone_down = len(downs) == len(prices)

    # Title: all unchanged / gains / losses / mixed, led by the largest move each way.
    if not moved:
        tail = w.t("Prices Released", "价格发布")
    elif not ups and not downs:
        tail = w.t("All Unchanged", "全线持平")
    elif ups and downs:
        tail = w.t(
            f"Mixed; {ups[0].name_en} Leads Gains, {downs[0].name_en} Leads Losses",
            f"涨跌互现，{ups[0].name_zh}领涨、{downs[0].name_zh}领跌",
        )
    elif ups:
        tail = w.t(
            f"Broad Gains Led by {ups[0].name_en}"
            if everyone_up
            else f"{ups[0].name_en} Leads Gains",
            f"全线上涨，{ups[0].name_zh}领涨" if everyone_up else f"{ups[0].name_zh}领涨",
        )
    else:
        tail = w.t(
            f"Broad Losses Led by {downs[0].name_en}"
            if everyone_down
            else f"{downs[0].name_en} Leads Losses",
            f"全线下跌，{downs[0].name_zh}领跌" if everyone_down else f"{downs[0].name_zh}领跌",
        )
    title = f"{when}{group}价格：{tail}" if zh else f"{group} Prices on {when}: {tail}"

    if not moved:
        intro = w.t(f"{group} prices were released on {when}.", f"{when}{group}价格发布。")
    elif not ups and not downs:
        intro = w.t(f"All {group} prices were unchanged on {when}.", f"{when}{group}价格全线持平。")
    elif ups and downs:
        intro = w.t(f"{group} prices were mixed on {when}.", f"{when}{group}价格涨跌互现。")
    elif ups:
        intro = w.t(
            f"All {group} prices rose on {when}."
            if everyone_up
            else f"{group} prices rose or held steady on {when}.",
            f"{when}{group}价格全线上涨。"
            if everyone_up
            else f"{when}{group}价格以上涨为主，其余持平。",
        )
    else:
        intro = w.t(
            f"All {group} prices fell on {when}."
            if everyone_down
            else f"{group} prices fell or held steady on {when}.",
            f"{when}{group}价格全线下跌。"
            if everyone_down
            else f"{when}{group}价格以下跌为主，其余持平。",
        )

    # The three largest moves by percentage; only a real move is worth a sentence of its own.
    top = sorted(moved, key=_rank)[:3]
    sentences: list[str] = []
    if ups or downs:
        first_up = ups[0] if ups else None
        first_down = downs[0] if downs else None
        for price in top:
            sentences.append(w.mover_sentence(price, leads=price in (first_up, first_down)))

    summary = _paragraph(checked, intro, sentences[0] if sentences else None)
    body = [_paragraph(checked, intro, *sentences), w.table(prices)]
    if corrections:
        lines = [w.correction_line(item) for item in corrections]
        body.append("\n".join([w.t("**Corrections**", "**更正**"), "", *lines]))
    tags = ["prices", "daily", _slug(group_name_en), *(p.series_code for p in prices)]
    return Draft(
        lang=checked,
        title=title,
        summary=summary,
        body_markdown="\n\n".join(body) + "\n",
        facts=w.facts.items(),
        tags=list(dict.fromkeys(tag for tag in tags if tag)),
    )


def _rank(price: PriceFacts) -> tuple[Decimal, str]:
    """Largest percentage move first, then by series code (deterministic ties)."""
    return (-abs(price.change_pct or Decimal(0)), price.series_code)
