"""A month whose panel changed: the total and its own change, then the like-for-like change and
what the panel's changes added or took away (``supply.stats.reconcile``).

When a smelter joins, leaves or falls silent without an estimate, the matched change is not the
total's: quoting it beside the total would let a reader subtract one from the other and miss
last month's figure. So the text says the total with its change on the same basis ("up 90 t from
1,310 t in September"), then the matched change as like for like, and the newcomers', leavers'
and unreported smelters' volumes by count (the report names no smelter), so the parts add up to
the total's change but for the rounding. Inventories likewise, where a newcomer is a smelter
reporting stocks for the first time. A month whose panel did not change keeps the plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.production.writer import ProductionWriter
from metalwire.supply.stats.model import Bridge


def _quote(w: ProductionWriter, stocks: bool, field: str, value: str, en: str, zh: str) -> str:
    # A fact's key is the release's: 'output_bridge.previous', 'inventory_bridge.joined_count'.
    bridge = "inventory_bridge" if stocks else "output_bridge"
    return w.stat(f"{bridge}.{field}", value, en, zh)


def _total_change(w: ProductionWriter, b: Bridge, *, stocks: bool) -> str:
    """'up 90 mt (6.87%)' / '增加90吨（增幅6.87%）': the total's own change, unsigned, in words."""
    up = b.change_abs > 0
    what_en, what_zh = ("Smelter inventory", "冶炼厂库存") if stocks else ("Production", "产量")
    amount = _quote(
        w,
        stocks,
        "change_abs",
        w.qty(abs(b.change_abs)),
        f"{what_en}, change from {w.previous_month} (whole panel)",
        f"{what_zh}较上月变化量（全部样本）",
    )
    pct = ""
    if b.change_pct is not None:
        pct = _quote(
            w,
            stocks,
            "change_pct",
            ph.percent(abs(b.change_pct), w.lang),
            f"{what_en}, change from {w.previous_month} (whole panel, %)",
            f"{what_zh}较上月变化率（全部样本）",
        )
    if w.zh:
        if not b.change_abs:
            return f"持平（变化{amount}）"
        return f"{'增加' if up else '减少'}{amount}" + (
            f"（{'增幅' if up else '降幅'}{pct}）" if pct else ""
        )
    if not b.change_abs:
        return f"unchanged ({amount})"
    return f"{'up' if up else 'down'} {amount}" + (f" ({pct})" if pct else "")


def _revision(w: ProductionWriter, *, stocks: bool) -> str:
    """' (revised from 600.00 mt first published)': last month's figure as first published,
    when late or corrected returns have changed it since."""
    published = w.stocks_published if stocks else w.output_published
    if published is None:
        return ""
    first = _quote(
        w,
        stocks,
        "published_previous",
        w.qty(published),
        f"{'Smelter inventory, end of' if stocks else 'Production in'} {w.previous_month}, "
        "as first published",
        f"{'冶炼厂上月末库存' if stocks else '上月产量'}（此前公布）",
    )
    return w.t(f" (revised from {first} first published)", f"（此前公布为{first}，已修订）")


def _parts(w: ProductionWriter, b: Bridge, *, stocks: bool) -> list[str]:
    """What the panel's changes added and took away, each with its count and volume."""
    prev = w.previous_month
    out = []
    for field, n, volume in (
        ("joined", b.joined_count, b.joined_volume),
        ("left", b.left_count, b.left_volume),
        ("unreported", b.unreported_count, b.unreported_volume),
    ):
        if not n:
            continue
        en, zh = _PART_LABELS[(field, stocks)]
        count = _quote(w, stocks, f"{field}_count", ph.integer(n, w.lang), en, zh)
        amount = _quote(
            w, stocks, f"{field}_volume", w.qty(volume), f"{en}: their volume", f"{zh}的数量"
        )
        who = w.smelters(n, count)
        en_text, zh_text = _PART_WORDS[(field, stocks)]
        out.append(w.t(en_text, zh_text).format(who=who, amount=amount, prev=prev))
    return out


# (part, of stocks) -> the fact's label, English and Chinese.
_PART_LABELS: dict[tuple[str, bool], tuple[str, str]] = {
    ("joined", False): ("Smelters newly surveyed", "新纳入调研的冶炼厂"),
    ("left", False): ("Smelters that left the panel", "退出样本的冶炼厂"),
    ("unreported", False): (
        "Smelters neither reporting nor estimable",
        "未报送且无法估算的冶炼厂",
    ),
    ("joined", True): ("Smelters reporting stocks for the first time", "首次报送库存的冶炼厂"),
    ("left", True): ("Smelters no longer reporting stocks", "本月未报送库存的冶炼厂"),
    ("unreported", True): ("Smelters no longer reporting stocks", "本月未报送库存的冶炼厂"),
}
# (part, of stocks) -> how the part is said; {prev} is last month's name.
_PART_WORDS: dict[tuple[str, bool], tuple[str, str]] = {
    ("joined", False): (
        "{who} newly in the survey added {amount}",
        "新纳入调研的{who}贡献{amount}",
    ),
    ("left", False): (
        "{who} that left the panel had produced {amount} in {prev}",
        "退出样本的{who}上月产量为{amount}",
    ),
    ("unreported", False): (
        "{who} that neither reported nor could be estimated had produced {amount} in {prev}",
        "未报送且无法估算的{who}上月产量为{amount}",
    ),
    ("joined", True): (
        "{who} reporting stocks for the first time held {amount}",
        "首次报送库存的{who}库存为{amount}",
    ),
    ("left", True): (
        "{who} no longer reporting stocks had held {amount} at the end of {prev}",
        "本月未报送库存的{who}上月末库存为{amount}",
    ),
    ("unreported", True): (
        "{who} no longer reporting stocks had held {amount} at the end of {prev}",
        "本月未报送库存的{who}上月末库存为{amount}",
    ),
}


def output_sentences(
    w: ProductionWriter, mom_abs: Callable[[], str], yoy: Callable[[], str]
) -> list[str]:
    """The total with its change from last month's total, then like for like and the panel's
    changes. ``mom_abs`` and ``yoy`` quote the matched change and the year-on-year clause when
    the sentence reaches them (facts follow reading order)."""
    b = w.output
    assert b is not None
    level = w.production_text()
    previous = _quote(
        w, False, "previous", w.qty(b.previous), f"Production in {w.previous_month}", "上月产量"
    )
    previous += _revision(w, stocks=False)
    change = _total_change(w, b, stocks=False)
    if w.zh:
        first = (
            f"据{w.survey}调研，{w.month_year}国内{w.commodity}产量为{level}，"
            f"较{w.previous_month}的{previous}{change}"
            + ("，其中包含调研样本变动。" if b.panel_changed else "。")
        )
    else:
        first = (
            f"According to the {w.survey} survey, domestic {w.commodity} production totalled "
            f"{level} in {w.month_year}, {change} from {previous} in {w.previous_month}"
            + (", a total that includes changes to the survey's panel." if b.panel_changed else ".")
        )
    return [first, _like_for_like(w, b, mom_abs, yoy)]


def _like_for_like(
    w: ProductionWriter, b: Bridge, mom_abs: Callable[[], str], yoy: Callable[[], str]
) -> str:
    parts = _parts(w, b, stocks=False)
    if w.mom_pct is None:
        if w.zh:
            return f"没有冶炼厂两个月均有数据；{'，'.join(parts)}。"
        return f"No smelter had figures for both months: {w.join(parts)}."
    matched = w.stat(
        "matched_count",
        ph.integer(int(w.stats.get("matched_count") or 0), w.lang),
        "Smelters with figures for both months",
        "两个月均有数据的冶炼厂数量",
    )
    who = w.smelters(int(w.stats.get("matched_count") or 0), matched)
    size = ph.magnitude(w.mom_pct)
    up = w.mom_pct > 0
    pct = w.mom_pct_text()
    amount = f"{mom_abs()}" if w.mom_abs is not None else ""
    if w.zh:
        if size == "flat":
            move = f"基本持平（{pct}" + (f"，{amount}" if amount else "") + "）"
        else:
            move = f"{'增长' if up else '下降'}{pct}" + (
                f"（{'增加' if up else '减少'}{amount}）" if amount else ""
            )
        tail = f"；{'，'.join(parts)}" if parts else ""
        return f"同口径（两个月均有数据的{who}）产量环比{move}{yoy()}{tail}。"
    if size == "flat":
        move = f"held steady ({pct}" + (f", {amount}" if amount else "") + ")"
    else:
        move = f"{'rose' if up else 'fell'} by {pct}" + (f" ({amount})" if amount else "")
    tail = f", while {w.join(parts)}" if parts else ""
    return f"Like for like, output at the {who} with figures for both months {move}{yoy()}{tail}."


def inventory_sentence(
    w: ProductionWriter, level: str, matched: Callable[[], str], reason: Callable[[], str]
) -> str:
    """The month-end stocks with their change from last month's total, then like for like and
    the smelters starting or stopping to report stocks; ``matched`` says the matched change,
    ``reason`` the cited reason's clause, when the sentence reaches them."""
    b = w.stocks
    assert b is not None
    previous = _quote(
        w,
        True,
        "previous",
        w.qty(b.previous),
        f"Smelter inventory, end of {w.previous_month}",
        "冶炼厂上月末库存",
    )
    previous += _revision(w, stocks=True)
    change = _total_change(w, b, stocks=True)
    if w.zh:
        text = f"库存方面，截至{w.month}末冶炼厂库存为{level}，较上月末的{previous}{change}"
        parts = "，".join(_parts(w, b, stocks=True))
        text += f"；同口径库存{matched()}" + (f"，{parts}" if parts else "")
        return f"{text}{reason()}。"
    text = (
        f"Smelter inventories stood at {level} at the end of {w.month}, {change} from "
        f"{previous} at the end of {w.previous_month}; like for like, stocks {matched()}"
    )
    parts = w.join(_parts(w, b, stocks=True))
    return text + (f", while {parts}" if parts else "") + f"{reason()}."
