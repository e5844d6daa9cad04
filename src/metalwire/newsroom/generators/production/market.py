"""The market: the spot premium, the arbitrage window and the outlook for domestic supply.

Outlook (forecast + window): a forecast cut tightens domestic circulating supply (+1), a rise
eases it (-1); an open export window that is still profitable draws metal abroad (+2), an open
export window with narrowing profit, or an open import window, releases metal to the domestic
market (-2). A window weighs double because domestic circulating supply moves with export and
import flows far more than with one month's output change. A closed window changes no flow, so
it gives no signal. The sign of the sum picks "tighten", "gradually increase" or "remain broadly
stable"; the minority signals are kept ("despite ...").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import ArbitrageFacts, PremiumFacts, paragraph
from metalwire.newsroom.generators.production.writer import ProductionWriter

_KIND_ZH = {"export": "出口", "import": "进口"}
# One end of a premium range as quoted: fact key, value, assessment ref, English and Chinese label.
Quoted = tuple[str, Decimal, str, str, str]


@dataclass(frozen=True, slots=True)
class _Signal:
    weight: int
    en: str
    zh: str


def premium_sentence(w: ProductionWriter) -> str | None:
    p = w.premium
    if p is None:
        return None
    discount = p.high_max <= 0 and p.low_min < 0  # every quote a discount: say so
    mixed = p.low_min < 0 < p.high_max
    days, window, latest = _premium_figures(w, p, discount=discount)
    trend_words = {
        "up": ("trending higher", "呈走高态势"),
        "down": ("trending lower", "呈回落态势"),
        "flat": ("holding stable", "保持平稳"),
    }[p.trend]
    trend = w.facts.quote(
        f"{p.series_code}#trend", w.t(*trend_words), "series", p.series_ref, w.t("Trend", "走势")
    )
    if w.zh:
        what = "升贴水" if mixed else ("贴水" if discount else "升水")
        when = f"近{days}个交易日" if p.days > 1 else "最新交易日"
        steady = p.low_min == p.high_max
        text = f"现货市场方面，{when}国内{w.product}{what}报价"
        text += f"为{window}" if steady else f"在{window}之间"
        if latest:
            text += f"，最新报{latest}"
        return text + f"，{what}{trend}。"
    what = "premiums/discounts" if mixed else ("discounts" if discount else "premiums")
    if p.days > 1:
        shape = (
            f"were steady at {window}" if p.low_min == p.high_max else f"ranged between {window}"
        )
        text = (
            f"In the domestic spot market, {w.product} {what} {shape} "
            f"over the past {days} trading days"
        )
    else:
        text = (
            f"In the domestic spot market, {w.product} {what} were quoted at {window} "
            f"on the latest trading day"
        )
    if latest:
        text += f", with the latest quotes at {latest}"
    return f"{text}, {trend}."


def _premium_figures(
    w: ProductionWriter, p: PremiumFacts, *, discount: bool
) -> tuple[str, str, str]:
    """(days read, the range, the latest range or ""), their facts quoted in reading order."""
    unit = p.unit_zh if w.zh else p.unit_en
    code = p.series_code

    def quote(key: str, value: Decimal, ref: str, en: str, zh: str) -> None:
        shown = ph.quantity(ph.number(abs(value) if discount else value, w.lang), unit, w.lang)
        w.facts.add(f"{code}#{key}", shown, "assessment", ref, w.t(en, zh))

    def quote_range(low: Quoted, high: Quoted) -> str:
        """Quotes a range's two ends in reading order and returns the range as the text shows
        it: a range of discounts reads by size ("10-30"), its high first."""
        for end in (high, low) if discount else (low, high):
            quote(*end)
        if discount:
            return ph.quantity(ph.value_range(abs(high[1]), abs(low[1]), w.lang), unit, w.lang)
        return ph.quantity(ph.value_range(low[1], high[1], w.lang), unit, w.lang)

    def quote_days() -> str:
        label = w.t("Trading days read", "交易日数")
        return w.facts.quote(
            f"{code}#days", ph.integer(p.days, w.lang), "series", p.series_ref, label
        )

    # Chinese reads the window ("近5个交易日") before the range, English after it.
    days = quote_days() if w.zh else ""
    window = quote_range(
        ("low_min", p.low_min, p.low_min_ref, "Range low", "区间低值"),
        ("high_max", p.high_max, p.high_max_ref, "Range high", "区间高值"),
    )
    latest = ""
    if (p.latest_low, p.latest_high) != (p.low_min, p.high_max):
        latest = quote_range(
            ("latest_low", p.latest_low, p.latest_ref, "Latest low", "最新低值"),
            ("latest_high", p.latest_high, p.latest_ref, "Latest high", "最新高值"),
        )
    return days or quote_days(), window, latest


def market_paragraph(w: ProductionWriter) -> str:
    return paragraph(w.lang, _window_sentence(w), _outlook_sentence(w))


def _window_sentence(w: ProductionWriter) -> str | None:
    a = w.arbitrage
    if a is None:
        return None
    unit = a.unit_zh if w.zh else a.unit_en
    kind_en, kind_zh = a.kind, _KIND_ZH[a.kind]
    # In reading order: "窗口自9月26日起保持打开" / "has been open since September 26".
    if w.zh:
        since = _window_since(w, a)
        state = _window_state(w, a)
    else:
        state = _window_state(w, a)
        since = _window_since(w, a)
    loss = a.profit < 0
    amount = _window_quote(
        w,
        a,
        "profit",
        ph.quantity(ph.number(abs(a.profit), w.lang), unit, w.lang),
        f"Latest {kind_en} {'loss' if loss else 'profit'}",
        f"最新{kind_zh}{'亏损' if loss else '盈利'}",
    )
    # A rising profit widens a profit and narrows a loss.
    widening = {"up": not loss, "down": loss, "flat": None}[a.trend]
    trend = _window_quote(
        w,
        a,
        "trend",
        w.t(
            "stable" if widening is None else ("widening" if widening else "narrowing"),
            "保持平稳" if widening is None else ("有所扩大" if widening else "有所收窄"),
        ),
        "Trend",
        "走势",
    )
    closed = _window_closed(w, a)
    if w.zh:
        if a.open:
            head = (
                f"{kind_zh}窗口自{since}起保持{state}" if since else f"{kind_zh}窗口处于{state}状态"
            )
        elif closed:
            head = f"{kind_zh}窗口于{closed}{state}"
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
    elif closed:
        # Open earlier in the period: "remained closed" would deny the exports it drew.
        head = f"The {kind_en} window {state} on {closed}"
    else:
        head = f"The {kind_en} window remained {state}"
    noun = "loss" if loss else "profit"
    return f"{head}, with the latest {kind_en} {noun} at {amount} and {trend}."


def _window_quote(
    w: ProductionWriter, a: ArbitrageFacts, key: str, value: str, en: str, zh: str
) -> str:
    return w.facts.quote(f"arbitrage.{a.kind}.{key}", value, "arbitrage", a.source_ref, w.t(en, zh))


def _window_state(w: ProductionWriter, a: ArbitrageFacts) -> str:
    return _window_quote(
        w,
        a,
        "open",
        w.t("open" if a.open else "closed", "打开" if a.open else "关闭"),
        f"{ph.capitalize(a.kind)} window",
        f"{_KIND_ZH[a.kind]}窗口",
    )


def _window_since(w: ProductionWriter, a: ArbitrageFacts) -> str:
    if a.opened_on is None:
        return ""
    shown = ph.format_date(a.opened_on, w.lang)
    return _window_quote(w, a, "opened_on", shown, "Window open since", "窗口打开日期")


def _window_closed(w: ProductionWriter, a: ArbitrageFacts) -> str:
    """The day a window open earlier in the period closed ("" if it did not)."""
    if a.closed_on is None:
        return ""
    shown = ph.format_date(a.closed_on, w.lang)
    return _window_quote(w, a, "closed_on", shown, "Window closed on", "窗口关闭日期")


def _outlook_sentence(w: ProductionWriter) -> str | None:
    signals: list[_Signal] = []
    if w.forecast_pct is not None:
        direction = ph.direction(w.forecast_pct)
        signals.append(
            {
                "down": _Signal(1, "smelters planning lower output", "冶炼厂计划减产"),
                "up": _Signal(-1, "smelters planning higher output", "冶炼厂计划增产"),
                "flat": _Signal(0, "smelters expecting stable output", "冶炼厂产量预期平稳"),
            }[direction]
        )
    a = w.arbitrage
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
    subject_en = f"domestic circulating {w.commodity} supply"
    subject_zh = f"国内{w.commodity}流通供应"

    def words(items: list[_Signal]) -> str:
        return "且".join(s.zh for s in items) if w.zh else w.join([s.en for s in items])

    if net == 0 and tighter and looser:
        if w.zh:
            return (
                f"{words(tighter)}，但{words(looser)}，"
                f"预计{w.next_month}{subject_zh}将大体保持平稳。"
            )
        return (
            f"With {words(tighter)} but {words(looser)}, {subject_en} is expected to remain "
            f"broadly stable in {w.next_month}."
        )
    if net > 0:
        main, minor, en, zh = tighter, looser, "tighten", "趋紧"
    elif net < 0:
        main, minor, en, zh = looser, tighter, "gradually increase", "逐步增加"
    else:
        main, minor, en, zh = neutral, [], "remain broadly stable", "大体保持平稳"
    if w.zh:
        despite = f"尽管{words(minor)}，但" if minor else ""
        return f"{despite}考虑到{words(main)}，预计{w.next_month}{subject_zh}将{zh}。"
    despite = f", despite {words(minor)}" if minor else ""
    return f"With {words(main)}, {subject_en} is expected to {en} in {w.next_month}{despite}."
