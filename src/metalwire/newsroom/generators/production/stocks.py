"""Smelter stocks: the month-end inventory, its change and the reason respondents gave for it.

Exact figures are quoted exactly and without a qualifier ("decreased by 3.55%"); "nearly" and
"approximately" mark rounded figures only (``phrasing.approximate_percent``, used for the
smelter stock change), whose exact value stays in the fact's label.
"""

from __future__ import annotations

from decimal import Decimal

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import decimal_of
from metalwire.newsroom.generators.production import panel
from metalwire.newsroom.generators.production.writer import ProductionWriter, Reason
from metalwire.supply.reference import reason_moves

# Stocks drawn down (-1) or built (+1) by a reason (supply/data/reasons.yaml).
_STOCK_REASONS: dict[str, int] = {
    code: moves.sign for code, moves in reason_moves().items() if moves.measure == "stock"
}


def inventory_pct_text(w: ProductionWriter) -> str:
    assert w.inventory_pct is not None
    approx = ph.approximate_percent(w.inventory_pct, w.lang)
    exact = ph.percent(w.inventory_pct, w.lang, signed=True)
    return w.stat(
        "inventory_change_pct",
        approx,
        f"Smelter inventory change vs the end of {w.previous_month} ({exact})",
        f"冶炼厂库存较上月末变化（{exact}）",
    )


def stock_reason(w: ProductionWriter) -> Reason | None:
    """The stock-moving reason respondents cited the way inventories moved, if any."""
    if w.inventory_pct is None or ph.direction(w.inventory_pct) == "flat":
        return None
    sign = 1 if w.inventory_pct > 0 else -1
    for line in w.stats.get("reasons") or []:
        if _STOCK_REASONS.get(line["code"]) == sign:
            volume = decimal_of(line.get("volume")) or Decimal(0)
            return Reason(str(line["code"]), volume, int(line.get("respondents") or 0))
    return None


def _stock_reason_who(w: ProductionWriter, reason: Reason) -> str:
    return w.stat(
        f"reasons[{reason.code}].respondents",
        ph.integer(reason.respondents, w.lang),
        f"Smelters citing {w.reason_name(reason.code)}",
        f"提及{w.reason_name(reason.code)}的冶炼厂数量",
    )


def _inventory_flat_text(w: ProductionWriter) -> str:
    assert w.inventory_pct is not None
    return w.stat(
        "inventory_change_pct",
        ph.percent(w.inventory_pct, w.lang, signed=True),
        f"Smelter inventory change vs the end of {w.previous_month}",
        "冶炼厂库存较上月末变化",
    )


def stock_reason_text(w: ProductionWriter, reason: Reason) -> str:
    return w.stat(
        f"reasons[{reason.code}].code",
        w.reason_name(reason.code),
        "Reason cited for the stock change",
        "库存变化原因",
    )


def inventory_sentence(w: ProductionWriter) -> str | None:
    if w.inventory is None:
        return None
    level = w.stat(
        "inventory",
        w.qty(w.inventory),
        "Smelter inventory, end of month",
        "冶炼厂月末库存",
    )
    if w.stocks is not None and (w.stocks.panel_changed or w.stocks_published is not None):
        return panel.inventory_sentence(
            w, level, lambda: _matched_stocks(w), lambda: _stock_reason_clause(w)
        )
    pct = w.inventory_pct
    if pct is None:
        return w.t(
            f"Smelter inventories stood at {level} at the end of {w.month}.",
            f"库存方面，截至{w.month}末冶炼厂库存为{level}。",
        )
    if ph.direction(pct) == "flat":
        exact = _inventory_flat_text(w)
        return w.t(
            f"Smelter inventories were little changed at {level} at the end of {w.month} "
            f"({exact} from the end of {w.previous_month}).",
            f"库存方面，截至{w.month}末冶炼厂库存为{level}，较上月末基本持平（{exact}）。",
        )
    down = pct < 0
    amount = _inventory_abs_text(w) if w.inventory_abs is not None else None
    change = inventory_pct_text(w)
    if w.zh:
        text = f"库存方面，截至{w.month}末冶炼厂库存为{level}，较上月末"
        if amount:
            text += f"{'减少' if down else '增加'}{amount}，{'降幅' if down else '增幅'}{change}"
        else:
            text += f"{'下降' if down else '增加'}{change}"
        return text + _stock_reason_clause(w) + "。"
    word = "down" if down else "up"
    verb = "fell" if down else "rose"
    text = f"Smelter inventories {verb} to {level} at the end of {w.month}, "
    text += f"{word} {amount}, or {change}, " if amount else f"{word} {change} "
    text += f"from the end of {w.previous_month}"
    return text + _stock_reason_clause(w) + "."


def _inventory_abs_text(w: ProductionWriter) -> str:
    assert w.inventory_abs is not None
    return w.stat(
        "inventory_change_abs",
        w.qty(abs(w.inventory_abs)),
        f"Smelter inventory change vs the end of {w.previous_month}",
        "冶炼厂库存较上月末变化量",
    )


def _matched_stocks(w: ProductionWriter) -> str:
    """The like-for-like change of a month whose stock reporters changed: 'fell nearly 50%
    (60 mt)' / '减少60吨，降幅近50%'."""
    pct = w.inventory_pct
    if pct is None:
        return w.t("are not comparable: no smelter reported them at both month-ends", "不可比")
    if ph.direction(pct) == "flat":
        flat = _inventory_flat_text(w)
        return w.t(f"were little changed ({flat})", f"基本持平（{flat}）")
    down = pct < 0
    change = inventory_pct_text(w)
    amount = _inventory_abs_text(w) if w.inventory_abs is not None else ""
    if w.zh:
        head = f"{'减少' if down else '增加'}{amount}，" if amount else ""
        return f"{head}{'降幅' if down else '增幅'}{change}"
    return f"{'fell' if down else 'rose'} {change}" + (f" ({amount})" if amount else "")


def _stock_reason_clause(w: ProductionWriter) -> str:
    reason = stock_reason(w)
    if reason is None:
        return ""
    who = _stock_reason_who(w, reason)
    if w.zh:
        return f"，期间有{who}家冶炼厂反馈{stock_reason_text(w, reason)}"
    return f", with {w.smelters(reason.respondents, who)} citing {stock_reason_text(w, reason)}"
