"""The engine's words: each phrase of an explanation or an exclusion reason in English and
Chinese, and numbers as the trade writes them in one (pure)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from metalwire.catalog.units import UNIT_NAMES, round_price
from metalwire.i18n import localized


def late_reason(received_at: datetime, cutoff: datetime) -> tuple[str, str]:
    received = received_at.isoformat(timespec="seconds")
    limit = cutoff.isoformat(timespec="seconds")
    return (
        f"late: received {received}, after the cut-off {limit}",
        f"迟到：{received}收到，晚于截止时间{limit}",
    )


class Said(NamedTuple):
    """One generated phrase in both languages the platform speaks."""

    en: str
    zh: str


def unit_zh(unit: str) -> str:
    # Volumes are labelled with the series' unit: "t" (legacy tonnes) reads as mt does.
    return UNIT_NAMES.get("mt" if unit == "t" else unit, (unit, unit))[1]


def counted(n: int, noun: str, *, none: str | None = None) -> str:
    if n == 0 and none is not None:
        return none
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def plain(value: Decimal) -> str:
    """A decimal as the trade writes it in a reason: no exponent, no trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def shown_price(value: Decimal, decimals: int) -> str:
    return f"{round_price(value, decimals):,}"


def shown_range(low: Decimal | None, high: Decimal | None, decimals: int) -> str:
    if low is None or high is None:
        return "(none)"
    return f"{shown_price(low, decimals)}–{shown_price(high, decimals)}"


def outlier_reason(
    price: Decimal,
    deviation: Decimal,
    median: Decimal,
    mad_k: Decimal,
    *,
    mad: Decimal,
    floor: Decimal,
    scale: Decimal,
) -> tuple[str, str]:
    """Why a deal was left out as an outlier: how far from the median deal, in MADs, or in units
    of the deviation floor when the MAD is below it."""
    ratio = f"{deviation / scale:.1f}"
    where = f"from the median deal {plain(median)} (limit {plain(mad_k)}"
    where_zh = f"偏离成交中位数{plain(median)}（上限{plain(mad_k)}"
    if mad >= floor:
        return (
            f"outlier: {plain(price)} is {ratio} MADs {where})",
            f"异常值：{plain(price)}{where_zh}）达{ratio}个MAD",
        )
    return (
        f"outlier: {plain(price)} is {ratio} times the deviation floor "
        f"{plain(scale)} {where}; MAD {plain(mad)} is below the floor)",
        f"异常值：{plain(price)}{where_zh}；MAD {plain(mad)}低于偏差下限）"
        f"达偏差下限{plain(scale)}的{ratio}倍",
    )


class Explained(NamedTuple):
    """A stored explanation as one reader reads it: the text, the exclusions' reasons and the
    language they are in (an assessment written before Chinese existed stays English)."""

    text: str
    excluded: list[dict[str, object]]
    lang: str


def explained_in(data: dict[str, object], lang: str) -> Explained:
    """The stored explanation of an assessment (``Assessment.explanation``) in ``lang``: the
    Chinese sentences and reasons where written, else the English ones."""
    raw = data.get("excluded") or []
    excluded = [
        {**x, "reason": x.get("reason_zh") or x.get("reason", "")} if lang == "zh" else dict(x)
        for x in (raw if isinstance(raw, list) else [])
        if isinstance(x, dict)
    ]
    said = localized(
        str(data.get("explanation") or ""), str(data.get("explanation_zh") or ""), lang
    )
    return Explained(said.text, excluded, said.lang)
