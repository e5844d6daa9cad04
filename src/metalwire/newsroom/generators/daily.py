"""The daily price report: the day's released prices of one catalog group, its largest movers
and the corrections published with them.

Any non-zero change is a rise or a fall (an assessment moves in deliberate steps; there is no
noise band as for survey totals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import (
    CorrectionFacts,
    Draft,
    PriceFacts,
    QuotedFacts,
    paragraph,
    slug,
)
from metalwire.newsroom.phrasing import Lang


class _Daily:
    """Writes one daily price report; holds the facts quoted so far (reading order)."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.zh = lang == "zh"
        self.facts = QuotedFacts()

    def t(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def name(self, price: PriceFacts | CorrectionFacts) -> str:
        return price.name_zh if self.zh else price.name_en

    def unit(self, price: PriceFacts | CorrectionFacts) -> str:
        return price.unit_zh if self.zh else price.unit_en

    def figure(
        self, price: PriceFacts, key: str, value: Decimal, en: str, zh: str, *, signed: bool = False
    ) -> str:
        """Records one of a price's figures; returns it formatted (unit left to the caller)."""
        text = ph.number(value, self.lang, signed=signed)
        self.source(price, key, ph.quantity(text, self.unit(price), self.lang), en, zh)
        return text

    def source(self, price: PriceFacts, key: str, shown: str, en: str, zh: str) -> None:
        """Records a figure quoted from a price's assessment, labelled in the draft's language."""
        label = f"{self.name(price)}: {self.t(en, zh)}"
        self.facts.add(
            f"{price.series_code}#{key}", shown, "assessment", price.assessment_ref, label
        )

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
        self.source(price, "change_pct", shown, "change (%)", "涨跌幅")
        return shown

    def change(self, price: PriceFacts, *, signed: bool = False) -> str:
        assert price.change is not None
        value = price.change if signed else abs(price.change)
        return self.figure(price, "change", value, "change", "涨跌", signed=signed)

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
    names_in_title: bool = True,
) -> Draft:
    """The day's released prices of one group (e.g. Base Metals): the largest movers, a table
    of every price, and the corrections published with them. ``names_in_title`` False: the
    title tells the day's moves without naming a series (a title to fall back on where a
    name would quote a premium figure: newsroom/teaser.py)."""
    checked = ph.check_lang(lang)
    if not prices:
        raise ValueError(f"prices: no released prices for {group_name_en} on {day.isoformat()}")
    w = _Daily(checked)
    group = group_name_zh if checked == "zh" else group_name_en
    when = ph.format_date(day, checked, short=True)
    moves = _Moves.of(prices)
    title = (
        _title(w, group, when, moves) if names_in_title else _unnamed_title(w, group, when, moves)
    )
    intro = _intro(w, group, when, moves)

    # The three largest moves by percentage; only a real move is worth a sentence of its own.
    top = sorted(moves.moved, key=_rank)[:3]
    sentences: list[str] = []
    if moves.ups or moves.downs:
        first_up = moves.ups[0] if moves.ups else None
        first_down = moves.downs[0] if moves.downs else None
        for price in top:
            sentences.append(w.mover_sentence(price, leads=price in (first_up, first_down)))

    summary = paragraph(checked, intro, sentences[0] if sentences else None)
    body = [paragraph(checked, intro, *sentences), w.table(prices)]
    if corrections:
        lines = [w.correction_line(item) for item in corrections]
        body.append("\n".join([w.t("**Corrections**", "**更正**"), "", *lines]))
    tags = ["prices", "daily", slug(group_name_en), *(p.series_code for p in prices)]
    return Draft(
        lang=checked,
        title=title,
        summary=summary,
        body_markdown="\n\n".join(body) + "\n",
        facts=w.facts.items(),
        tags=list(dict.fromkeys(tag for tag in tags if tag)),
    )


@dataclass(frozen=True, slots=True)
class _Moves:
    """The day's prices read as moves: those with a change, the rises and the falls (largest
    first), and whether every price rose or every price fell."""

    moved: list[PriceFacts]
    ups: list[PriceFacts]
    downs: list[PriceFacts]
    all_up: bool
    all_down: bool

    @classmethod
    def of(cls, prices: Sequence[PriceFacts]) -> _Moves:
        moved = [p for p in prices if p.change_pct is not None]
        ups = sorted((p for p in moved if p.change_pct and p.change_pct > 0), key=_rank)
        downs = sorted((p for p in moved if p.change_pct and p.change_pct < 0), key=_rank)
        return cls(moved, ups, downs, len(ups) == len(prices), len(downs) == len(prices))


def _title(w: _Daily, group: str, when: str, moves: _Moves) -> str:
    """All unchanged / gains / losses / mixed, led by the largest move each way."""
    ups, downs = moves.ups, moves.downs
    if not moves.moved:
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
            if moves.all_up
            else f"{ups[0].name_en} Leads Gains",
            f"全线上涨，{ups[0].name_zh}领涨" if moves.all_up else f"{ups[0].name_zh}领涨",
        )
    else:
        tail = w.t(
            f"Broad Losses Led by {downs[0].name_en}"
            if moves.all_down
            else f"{downs[0].name_en} Leads Losses",
            f"全线下跌，{downs[0].name_zh}领跌" if moves.all_down else f"{downs[0].name_zh}领跌",
        )
    return f"{when}{group}价格：{tail}" if w.zh else f"{group} Prices on {when}: {tail}"


def _unnamed_title(w: _Daily, group: str, when: str, moves: _Moves) -> str:
    """The day's moves as ``_title`` reads them, without naming a series."""
    ups, downs = moves.ups, moves.downs
    if not moves.moved:
        tail = w.t("Prices Released", "价格发布")
    elif not ups and not downs:
        tail = w.t("All Unchanged", "全线持平")
    elif ups and downs:
        tail = w.t("Mixed", "涨跌互现")
    elif ups:
        tail = w.t("Broad Gains", "全线上涨") if moves.all_up else w.t("Gains Lead", "以上涨为主")
    else:
        tail = (
            w.t("Broad Losses", "全线下跌") if moves.all_down else w.t("Losses Lead", "以下跌为主")
        )
    return f"{when}{group}价格：{tail}" if w.zh else f"{group} Prices on {when}: {tail}"


def _intro(w: _Daily, group: str, when: str, moves: _Moves) -> str:
    if not moves.moved:
        return w.t(f"{group} prices were released on {when}.", f"{when}{group}价格发布。")
    if not moves.ups and not moves.downs:
        return w.t(f"All {group} prices were unchanged on {when}.", f"{when}{group}价格全线持平。")
    if moves.ups and moves.downs:
        return w.t(f"{group} prices were mixed on {when}.", f"{when}{group}价格涨跌互现。")
    if moves.ups:
        return w.t(
            f"All {group} prices rose on {when}."
            if moves.all_up
            else f"{group} prices rose or held steady on {when}.",
            f"{when}{group}价格全线上涨。"
            if moves.all_up
            else f"{when}{group}价格以上涨为主，其余持平。",
        )
    return w.t(
        f"All {group} prices fell on {when}."
        if moves.all_down
        else f"{group} prices fell or held steady on {when}.",
        f"{when}{group}价格全线下跌。"
        if moves.all_down
        else f"{when}{group}价格以下跌为主，其余持平。",
    )


def _rank(price: PriceFacts) -> tuple[Decimal, str]:
    """Largest percentage move first, then by series code (deterministic ties)."""
    return (-abs(price.change_pct or Decimal(0)), price.series_code)
