"""The title and the summary: the month's change and, in the title, its strongest driver.

Headline driver: the strongest of (a) the smelter inventory change, if at least 10 %; (b) the
top driver reason, scored as the share of last month's output it explains; (c) the forecast
change, if at least 1 %. Scores are percentages and the largest wins; on a tie the order above.
Stocks swing far more than output, so the 10 % floor keeps routine stock noise out of the
headline.
"""

from __future__ import annotations

from decimal import Decimal

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import sentences
from metalwire.newsroom.generators.production.output import main_provinces, provinces_clause
from metalwire.newsroom.generators.production.reasons import reason_split
from metalwire.newsroom.generators.production.stocks import (
    inventory_pct_text,
    stock_reason,
    stock_reason_text,
)
from metalwire.newsroom.generators.production.writer import ProductionWriter

_INVENTORY_HEADLINE_FROM = Decimal(10)
_FORECAST_HEADLINE_FROM = Decimal(1)
_HUNDRED = Decimal(100)


def title(w: ProductionWriter, *, figures: bool = True) -> str:
    """The month's change and its strongest driver, chosen by the facts in either language.
    ``figures=False``: the same facts said without a number ("Silver Ingot Production Declined
    in October, Smelter Inventories Fell amid Concentrated Exports"), the public title of a
    report whose figures are for subscribers (newsroom/teaser.py)."""
    unknown = w.direction is None or w.mom_pct is None
    if w.zh:
        if unknown:
            change = f"为{w.production_text()}" if figures else "数据发布"
        else:
            change = w.verb_zh(summary=False)
        basis = "同口径" if w.like_for_like and not unknown else ""
        base = f"{w.month}{w.product}{basis}产量{change}"
    else:
        # The verb is the matched change's: with the panel changed, the title says so.
        basis = "like-for-like " if w.like_for_like and not unknown else ""
        subject = ph.title_case(f"{basis}{w.product} production")
        if unknown and figures:
            base = f"{subject} at {w.production_text()} in {w.month}"
        elif unknown:
            base = f"{subject} Figures for {w.month}"
        else:
            base = f"{subject} {_headline_verb(w)} in {w.month}"
    driver = _headline_driver(w, figures)
    if not driver:
        return base
    return f"{base}，{driver}" if w.zh else f"{base}, {driver}"


def _headline_verb(w: ProductionWriter) -> str:
    assert w.mom_pct is not None
    size = ph.magnitude(w.mom_pct)
    up = w.mom_pct > 0
    return {
        "flat": "Held Steady",
        "slight": "Edged Up" if up else "Edged Down",
        "moderate": "Rose" if up else "Declined",
        "large": "Surged" if up else "Plunged",
    }[size]


def _headline_driver(w: ProductionWriter, figures: bool = True) -> str:
    candidates: list[tuple[Decimal, int, str]] = []
    if (
        w.inventory is not None
        and w.inventory_pct is not None
        and abs(w.inventory_pct) >= _INVENTORY_HEADLINE_FROM
    ):
        candidates.append((abs(w.inventory_pct), 0, "inventory"))
    drivers, _ = reason_split(w)
    if drivers and w.mom_abs is not None:
        # Last month's output: the published total where the release carries it (the level
        # less the matched change is not last month's total when the panel changed).
        before = w.output.previous if w.output is not None else w.production - w.mom_abs
        if before > 0:
            candidates.append((abs(drivers[0].volume) * _HUNDRED / before, 1, "reason"))
    if w.forecast_pct is not None and abs(w.forecast_pct) >= _FORECAST_HEADLINE_FROM:
        candidates.append((abs(w.forecast_pct), 2, "forecast"))
    if not candidates:
        return ""
    _, _, kind = max(candidates, key=lambda c: (c[0], -c[1]))
    if kind == "inventory":
        return _inventory_headline(w, figures)
    if kind == "reason":
        name = w.stat(
            f"reasons[{drivers[0].code}].code",
            w.reason_name(drivers[0].code),
            "Main reason cited",
            "主要原因",
        )
        return f"{name}为主要原因" if w.zh else f"Driven by {ph.title_case(name)}"
    return _forecast_headline(w)


def _inventory_headline(w: ProductionWriter, figures: bool = True) -> str:
    assert w.inventory_pct is not None
    down = w.inventory_pct < 0
    reason = stock_reason(w)
    if w.zh:
        # "受出口订单影响冶炼厂库存下降近50%": the cause is read first.
        cause = f"受{stock_reason_text(w, reason)}影响" if reason else ""
        size = inventory_pct_text(w) if figures else ""
        return f"{cause}冶炼厂库存{'下降' if down else '增加'}{size}"
    size = f" {ph.title_case(inventory_pct_text(w))}" if figures else ""
    text = f"Smelter Inventories {'Fell' if down else 'Rose'}{size}"
    if reason:
        text += f" amid {ph.title_case(stock_reason_text(w, reason))}"
    return text


def _forecast_headline(w: ProductionWriter) -> str:
    assert w.forecast_pct is not None
    cut = w.forecast_pct < 0
    same = w.direction == ("down" if cut else "up")
    recovery = not cut and w.direction == "down"
    if w.zh:
        if cut:
            return f"预计{w.next_month}{'进一步减产' if same else '产量下降'}"
        if same:
            return f"预计{w.next_month}继续增产"
        return f"预计{w.next_month}{'产量回升' if recovery else '产量增长'}"
    if cut:
        return ("Further Cuts Expected" if same else "Output Expected to Fall") + (
            f" in {w.next_month}"
        )
    if same:
        return f"Further Increases Expected in {w.next_month}"
    verb = "Recover" if recovery else "Rise"
    return f"Output Expected to {verb} in {w.next_month}"


def summary(w: ProductionWriter) -> str:
    main = main_provinces(w)
    if w.zh:
        basis = "同口径" if w.like_for_like and w.mom_pct is not None else ""
        text = f"{w.month_year}国内{w.commodity}{basis}产量"
        if w.mom_pct is None:
            text += f"为{w.production_text()}"
        else:
            text += w.verb_zh(summary=True)
        if main:
            text += f"，{provinces_clause(w, main, share=False)}"
        return text + "。"
    if w.mom_pct is None:
        change = f"totalled {w.production_text()}"
    else:
        size = ph.magnitude(w.mom_pct)
        up = w.mom_pct > 0
        if size == "flat":
            change = (
                "was unchanged MoM" if w.mom_pct == 0 else f"held steady ({w.mom_pct_text()} MoM)"
            )
        else:
            verb = {
                "slight": "edged up" if up else "edged down",
                "moderate": "increased by" if up else "decreased by",
                "large": "surged" if up else "plunged",
            }[size]
            change = f"{verb} {w.mom_pct_text()} MoM"
    basis = "like-for-like " if w.like_for_like and w.mom_pct is not None else ""
    first = f"In {w.month_year}, {basis}domestic {w.commodity} production {change}."
    return sentences(first, provinces_clause(w, main, share=False) + "." if main else "")
