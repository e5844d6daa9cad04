"""The forecast paragraph: next month's expected output and the smelters expecting to move it.

Forecast movers: up to three provinces in rank order ("provinces including ..." when more move),
up to two of their reasons, and the producer type with the largest expected move as "led by":
movers are netted by province and by type separately, so the text does not claim that the
provinces' smelters are all of that type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import paragraph
from metalwire.newsroom.generators.production.writer import ProductionWriter


def forecast_paragraph(w: ProductionWriter) -> str:
    movers = w.stats.get("forecast_movers") or {}
    total = _forecast_sentence(w)
    cuts = _mover_sentence(w, list(movers.get("cuts") or []), cut=True)
    increases = _mover_sentence(w, list(movers.get("increases") or []), cut=False)
    if cuts and increases:
        increases = (
            f"同时，{increases}" if w.zh else f"Meanwhile, {increases[:1].lower()}{increases[1:]}"
        )
    return paragraph(w.lang, total, cuts, increases)


def _forecast_sentence(w: ProductionWriter) -> str | None:
    if w.forecast is None:
        return None
    level = w.stat("forecast_next", w.qty(w.forecast), "Forecast output", "预测产量")
    pct = w.forecast_pct
    if w.zh:
        text = f"冶炼厂预计{w.next_month}产量为{level}"
        if pct is not None:
            size = ph.magnitude(pct)
            if size == "flat":
                text += f"，较{w.month}基本持平（{_forecast_pct_text(w, signed=True)}）"
            else:
                word = ("大幅" if size == "large" else "") + ("增长" if pct > 0 else "下降")
                text += f"，较{w.month}{word}{_forecast_pct_text(w)}"
        return text + "。"
    text = f"Forecasts point to {w.next_month} output of {level}"
    if pct is not None:
        size = ph.magnitude(pct)
        if size == "flat":
            text += f", broadly unchanged from {w.month} ({_forecast_pct_text(w, signed=True)})"
        elif size == "large":
            noun = "a sharp rise" if pct > 0 else "a sharp drop"
            text += f", {noun} of {_forecast_pct_text(w)} from {w.month}"
        else:
            word = "up" if pct > 0 else "down"
            text += f", {word} {_forecast_pct_text(w)} from {w.month}"
    return text + "."


def _forecast_pct_text(w: ProductionWriter, *, signed: bool = False) -> str:
    assert w.forecast_pct is not None
    value = w.forecast_pct if signed else abs(w.forecast_pct)
    return w.stat(
        "forecast_change_pct",
        ph.percent(value, w.lang, signed=signed),
        "Forecast change vs this month",
        "预测产量较本月变化",
    )


def _mover_sentence(
    w: ProductionWriter, movers: list[Mapping[str, Any]], *, cut: bool
) -> str | None:
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
    side = _Movers(
        w,
        cut=cut,
        listed=listed,
        kinds=kinds,
        codes=codes[:2],
        more=len(places) > 3,
        further=w.direction == ("down" if cut else "up"),
    )
    return _movers_zh(side) if w.zh else _movers_en(side)


@dataclass(frozen=True)
class _Movers:
    """One side of the forecast movers (cuts or increases): up to three provinces in rank order,
    the producer types, up to two reasons. Its figures are quoted lazily, in the order each
    language reads them (facts follow reading order)."""

    w: ProductionWriter
    cut: bool
    listed: list[Mapping[str, Any]]
    kinds: list[Mapping[str, Any]]
    codes: list[str]
    more: bool
    further: bool

    @property
    def side(self) -> str:
        return "cuts" if self.cut else "increases"

    def why(self) -> str:
        if not self.codes:
            return ""
        w, cut = self.w, self.cut
        return w.stat(
            f"forecast_movers.{self.side}.reasons",
            w.join([w.reason_name(code) for code in self.codes]),
            "Reasons for the expected " + ("cuts" if cut else "increases"),
            "预期" + ("减产" if cut else "增产") + "原因",
        )

    def lead_type(self) -> str:
        if not self.kinds:
            return ""
        w, cut, first = self.w, self.cut, self.kinds[0]
        return w.stat(
            f"forecast_movers.{self.side}[{first['name']}]",
            w.type_name(str(first["name"])),
            "Producer type with the largest expected " + ("cut" if cut else "increase"),
            "预期" + ("减量" if cut else "增量") + "最大的企业类型",
        )

    def where(self) -> str:
        w, cut = self.w, self.cut
        return w.stat(
            f"forecast_movers.{self.side}.provinces",
            w.join([w.province(str(m["name"]), m) for m in self.listed]),
            "Provinces expecting " + ("cuts" if cut else "increases"),
            "预期" + ("减产" if cut else "增产") + "省份",
        )


def _movers_zh(m: _Movers) -> str:
    action = ("进一步" if m.further else "") + ("减产" if m.cut else "增产")
    if m.listed:
        text = f"{m.where()}{'等地' if m.more else ''}的冶炼厂预计{m.w.next_month}将"
        reasons_ = m.why()
        text += (f"受{reasons_}影响" if reasons_ else "") + action
        if m.kinds:
            text += f"，其中{m.lead_type()}{'减量' if m.cut else '增量'}最大"
        return text + "。"
    text = f"{m.lead_type()}预计{m.w.next_month}将"
    reasons_ = m.why()
    return text + (f"受{reasons_}影响" if reasons_ else "") + f"{action}。"


def _movers_en(m: _Movers) -> str:
    action = ("further " if m.further else "") + ("reduce" if m.cut else "raise")
    if m.listed:
        subject = f"Smelters in {'provinces including ' if m.more else ''}{m.where()}"
        if m.kinds:
            subject += f", led by {m.lead_type()},"
    else:
        subject = ph.capitalize(m.lead_type())
    reasons_ = m.why()
    tail = f" production in {m.w.next_month}" + (f", citing {reasons_}" if reasons_ else "")
    return f"{subject} are expected to {action}{tail}."
