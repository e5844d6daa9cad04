"""The reasons respondents gave for the month's change in output.

A reason explains the month-on-month change of the respondents citing it (``supply.stats``);
reasons moving output the way the total moved are the drivers, ranked by volume (top three),
those moving it the other way "partly offset" it (top two). In a flat month the reasons are
listed with signs. ``export-orders`` explains stocks, not output, so it is read only as an
inventory reason (``stocks``).
"""

from __future__ import annotations

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.production.writer import ProductionWriter, Reason


def reason_split(w: ProductionWriter) -> tuple[list[Reason], list[Reason]]:
    """Reasons moving output the way the total moved (drivers) and the other way."""
    if w.direction not in ("up", "down"):
        return [], []
    up = w.direction == "up"
    drivers = [r for r in w.reasons if (r.volume > 0) == up]
    offsets = [r for r in w.reasons if (r.volume > 0) != up]
    return drivers[:3], offsets[:2]


def _reason_item(w: ProductionWriter, reason: Reason, *, signed: bool) -> tuple[str, str, str]:
    """(name, volume, smelters) quoted as facts."""
    name = w.stat(
        f"reasons[{reason.code}].code",
        w.reason_name(reason.code),
        "Reason cited",
        "原因",
    )
    volume = w.stat(
        f"reasons[{reason.code}].volume",
        w.qty(reason.volume if signed else abs(reason.volume), signed=signed),
        f"Output change of smelters citing {w.reason_name(reason.code)}",
        f"提及{w.reason_name(reason.code)}的冶炼厂产量变化",
    )
    count = w.stat(
        f"reasons[{reason.code}].respondents",
        ph.integer(reason.respondents, w.lang),
        f"Smelters citing {w.reason_name(reason.code)}",
        f"提及{w.reason_name(reason.code)}的冶炼厂数量",
    )
    return name, volume, w.smelters(reason.respondents, count)


def _reason_list(w: ProductionWriter, items: list[Reason], *, signed: bool) -> str:
    parts = []
    for reason in items:
        name, volume, who = _reason_item(w, reason, signed=signed)
        parts.append(f"{name}（{volume}，{who}）" if w.zh else f"{name} ({volume} at {who})")
    return w.join(parts)


def reason_sentences(w: ProductionWriter) -> list[str]:
    if w.direction == "flat":
        items = w.reasons[:3]
        if not items:
            return []
        both = any(r.volume > 0 for r in items) and any(r.volume < 0 for r in items)
        listed = _reason_list(w, items, signed=True)
        if w.zh:
            return [
                f"受访企业提及的原因包括{listed}" + ("，增减基本相互抵消" if both else "") + "。"
            ]
        tail = ", which largely offset each other" if both else ""
        return [f"Respondents cited {listed}{tail}."]
    drivers, offsets = reason_split(w)
    up = w.direction == "up"
    out = []
    if drivers:
        name, volume, who = _reason_item(w, drivers[0], signed=False)
        rest = _reason_list(w, drivers[1:], signed=False) if drivers[1:] else ""
        if w.zh:
            text = f"从原因看，{name}是主要原因，影响产量{volume}，涉及{who}"
            out.append(text + (f"，其次为{rest}" if rest else "") + "。")
        else:
            text = (
                f"{ph.capitalize(name)} was the main reason cited, accounting for {volume} "
                f"of {'higher' if up else 'lower'} output at {who}"
            )
            out.append(text + (f", followed by {rest}" if rest else "") + ".")
    if offsets:
        listed = _reason_list(w, offsets, signed=False)
        if w.zh:
            out.append(f"{listed}部分抵消了{'增量' if up else '减量'}。")
        else:
            out.append(
                f"{ph.capitalize(listed)} partly offset the {'increase' if up else 'decline'}."
            )
    return out
