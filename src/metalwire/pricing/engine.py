"""The assessment engine: one series, one market date, its submissions in, a published price out.

Pure code: no database, no web. The rule follows the data hierarchy of the trade (Argus; IOSCO
PRA Principles 2012): enough deals give a transaction-based range; too few fall back to the
spread of bids and offers, then to the mean of indications; with nothing at all the previous
price is carried forward. Every result carries what publication asks for (EU BMR Annex II 7(a):
number and volume of deals, range and average of price and volume, share of each input type,
method label, every exclusion with its reason) and a plain-English explanation.

Choices the methodology documents:

* A submission quoted as a range counts at its midpoint wherever one price is needed (a deal's
  price, a bid or offer, the price statistics); indications keep their low and high for
  interpolation. When a submission carries both a price and a range, the price wins.
* A submission received exactly at the cut-off is on time ("bids and offers by 17:00").
* Outliers are found in one pass over the deals that passed the volume filter, by their distance
  from the median deal in units of a deviation scale = max(MAD, ``mad_floor`` x |median|, one
  price step of the series). The floor keeps the filter defined when MAD is 0 (all deals but one
  identical: the odd one is judged against the floor) and stops a tightly clustered market from
  excluding a deal a fraction of a price step away.
* ``input_shares`` are percentages (0-100, 2 decimals, half-up) of the count of inputs used, one
  entry per submission kind, 0.00 for a kind not used; they may miss 100 by rounding.
* ``change`` is the published mid minus the previous published mid, so published changes always
  add up to the published prices; ``change_pct`` is that change in percent of the previous mid
  (pricing/change.py: the one rule, shared with corrections and every published read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal, localcontext
from operator import attrgetter
from typing import NamedTuple

from metalwire.catalog.units import EXACT, round_price
from metalwire.pricing.change import price_change, price_step
from metalwire.pricing.evidence import (
    METHOD_NAMES_ZH,
    AssessmentResult,
    Evidence,
    Exclusion,
    Method,
    NoEvidence,
    Previous,
    Rule,
    SubmissionKind,
)
from metalwire.pricing.phrases import (
    Said,
    amount,
    counted,
    late_reason,
    outlier_reason,
    plain,
    shown_price,
    shown_range,
    unit_zh,
)
from metalwire.pricing.publication_stats import input_shares, statistics

# The engine's vocabulary (pricing/evidence.py), named here too for the engine's callers.
__all__ = ["METHOD_NAMES_ZH", "AssessmentResult", "Evidence", "Exclusion", "Method"]
__all__ += ["NoEvidence", "Previous", "Rule", "SubmissionKind"]

_ZERO = Decimal(0)
_TWO = Decimal(2)


class _Input(NamedTuple):
    price: Decimal  # the submission's price, or the midpoint of its range; normalized
    id: int
    kind: SubmissionKind
    volume: Decimal | None
    low: Decimal
    high: Decimal


_by_price = attrgetter("price")


def _normalized(item: Evidence) -> _Input:
    adjustment = item.adjustment
    price = item.price
    if price is not None:
        if adjustment:
            price += adjustment
        return _Input(price, item.id, item.kind, item.volume, price, price)
    low, high = item.low, item.high
    if low is None or high is None:
        raise ValueError(f"submission {item.id} has neither a price nor a low and high")
    if low > high:
        raise ValueError(f"submission {item.id} has low {low} above high {high}")
    if adjustment:
        low += adjustment
        high += adjustment
    return _Input((low + high) / _TWO, item.id, item.kind, item.volume, low, high)


def assess(
    evidence: Sequence[Evidence],
    rule: Rule,
    *,
    decimals: int,
    previous: Previous | None = None,
    cutoff: datetime | None = None,
    volume_unit: str,
    relative_change: bool = True,
) -> AssessmentResult:
    """Assess one series on one market date from its submissions.

    ``cutoff`` excludes submissions received after it; ``volume_unit`` (the series' quoting
    unit, in which deals report their volume) labels volumes in the explanation. Raises
    NoEvidence when nothing is usable and there is no previous price. ``relative_change``
    False (premiums, discounts, fees) publishes the change without a percentage.
    """
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    if cutoff is not None and cutoff.utcoffset() is None:
        raise ValueError("cutoff must be timezone-aware")
    with localcontext(EXACT):
        return _assess(evidence, rule, decimals, previous, cutoff, volume_unit, relative_change)


class _SortedEvidence(NamedTuple):
    """The day's evidence by kind, and what was left out of it and why."""

    deals: list[_Input]  # sorted by price, outliers removed
    bids: list[_Input]
    offers: list[_Input]
    indications: list[_Input]
    excluded: list[Exclusion]
    # The explanation sums up each kind of exclusion in one sentence, so only counts go on.
    late: int
    light: int
    outliers: int


class _Assessed(NamedTuple):
    """The method the hierarchy chose, the inputs it stood on and the range they give."""

    method: Method
    used: list[_Input]
    low: Decimal
    high: Decimal
    head: Said  # the explanation's first sentence; the exclusion notes follow it
    vwap: Decimal | None = None  # transaction-based only
    volume_used: Decimal = _ZERO


def _assess(
    evidence: Sequence[Evidence],
    rule: Rule,
    decimals: int,
    previous: Previous | None,
    cutoff: datetime | None,
    unit: str,
    relative_change: bool,
) -> AssessmentResult:
    day = _sort_evidence(evidence, rule, decimals, cutoff, unit)
    notes = _exclusion_notes(day, rule, unit)
    assessed = _by_hierarchy(day, rule, decimals, previous, unit)
    if assessed is None:
        raise NoEvidence(
            "no usable deals, bids, offers or indications and no previous assessment to carry "
            f"forward ({len(evidence)} submitted, {len(day.excluded)} excluded)"
        )
    return _published(assessed, day, notes, decimals, previous, relative_change)


def _sort_evidence(
    evidence: Sequence[Evidence],
    rule: Rule,
    decimals: int,
    cutoff: datetime | None,
    unit: str,
) -> _SortedEvidence:
    """Deals, bids, offers and indications, less late, light and outlying submissions."""
    excluded: list[Exclusion] = []
    late = light = 0
    min_volume = rule.min_volume
    deals: list[_Input] = []
    bids: list[_Input] = []
    offers: list[_Input] = []
    indications: list[_Input] = []
    bucket = {
        SubmissionKind.DEAL: deals,
        SubmissionKind.BID: bids,
        SubmissionKind.OFFER: offers,
        SubmissionKind.INDICATION: indications,
    }
    # Per-submission work stays inline in one pass: a market day is thousands of series of
    # dozens of submissions each, and a call per submission shows in the day's time.
    for item in evidence:
        entry = _normalized(item)
        if cutoff is not None and item.received_at > cutoff:
            late += 1
            excluded.append(Exclusion(item.id, entry.price, *late_reason(item.received_at, cutoff)))
        elif item.volume is not None and item.volume < min_volume:
            light += 1
            reason = (
                f"below minimum volume: {plain(item.volume)} {unit} is under "
                f"the minimum {plain(min_volume)} {unit}"
            )
            reason_zh = (
                f"低于最小成交量：{plain(item.volume)}{unit_zh(unit)}，"
                f"不足最小值{plain(min_volume)}{unit_zh(unit)}"
            )
            excluded.append(Exclusion(item.id, entry.price, reason, reason_zh))
        else:
            bucket[item.kind].append(entry)

    step = Decimal(1).scaleb(-decimals)
    deals.sort(key=_by_price)
    outliers: list[Exclusion] = []
    # Two deals sit either side of their median, equally far: neither can stand out.
    if len(deals) >= 3:
        deals, outliers = _reject_outliers(deals, rule, step)
        excluded.extend(outliers)
    return _SortedEvidence(deals, bids, offers, indications, excluded, late, light, len(outliers))


def _exclusion_notes(day: _SortedEvidence, rule: Rule, unit: str) -> list[Said]:
    """The explanation's notes on evidence not used: too few deals, outliers, late, light."""
    notes: list[Said] = []
    deals = len(day.deals)
    if deals and deals < rule.min_deals:
        notes.append(
            Said(
                f"{counted(deals, 'deal')}, below the minimum of {rule.min_deals}, not used",
                f"{deals}笔成交，少于最低{rule.min_deals}笔，未采用",
            )
        )
    outliers, late, light = day.outliers, day.late, day.light
    if outliers:
        noun = "deal" if outliers == 1 else "deals"
        kind = "an outlier" if outliers == 1 else "outliers"
        notes.append(
            Said(f"{outliers} {noun} excluded as {kind}", f"{outliers}笔成交作为异常值剔除")
        )
    if late:
        notes.append(
            Said(
                f"{counted(late, 'submission')} received after the cut-off excluded",
                f"{late}条截止时间后收到的报价已剔除",
            )
        )
    if light:
        notes.append(
            Said(
                f"{counted(light, 'submission')} below the minimum volume of "
                f"{amount(rule.min_volume)} {unit} excluded",
                f"{light}条低于最小成交量{amount(rule.min_volume)}{unit_zh(unit)}的报价已剔除",
            )
        )
    return notes


def _by_hierarchy(
    day: _SortedEvidence, rule: Rule, decimals: int, previous: Previous | None, unit: str
) -> _Assessed | None:
    """The first method of the data hierarchy the evidence supports; None if there is none."""
    if len(day.deals) >= rule.min_deals:
        return _transaction_based(day.deals, unit)
    if day.bids or day.offers:
        low, high, head = _spread(day.bids, day.offers, decimals)
        return _Assessed(Method.SPREAD, day.bids + day.offers, low, high, head)
    if day.indications:
        return _interpolated(day.indications)
    if previous is not None:
        return _carried_forward(previous, decimals)
    return None


def _transaction_based(deals: list[_Input], unit: str) -> _Assessed:
    """The range of the deals (sorted by price) and their volume-weighted average."""
    volume_used = weighted = _ZERO
    for deal in deals:
        if deal.volume is not None:
            volume_used += deal.volume
            weighted += deal.price * deal.volume
    # Deals carry a volume (the database layer insists); one without would count for the
    # range but not the weighting rather than stop the day's price.
    head = Said(
        f"Transaction-based: {counted(len(deals), 'deal')}", f"基于成交：{len(deals)}笔成交"
    )
    vwap: Decimal | None = None
    if volume_used:
        vwap = weighted / volume_used
        head = Said(
            f"{head.en}, {amount(volume_used)} {unit}",
            f"{head.zh}，共{amount(volume_used)}{unit_zh(unit)}",
        )
    return _Assessed(
        Method.TRANSACTION, deals, deals[0].price, deals[-1].price, head, vwap, volume_used
    )


def _interpolated(indications: list[_Input]) -> _Assessed:
    """The mean of the indications' lows to the mean of their highs."""
    count = Decimal(len(indications))
    low = sum((item.low for item in indications), _ZERO) / count
    high = sum((item.high for item in indications), _ZERO) / count
    head = Said(
        f"Interpolated: mean of {counted(len(indications), 'indication')}, no bids or offers",
        f"插值：{len(indications)}条参考报价的均值，无买盘或卖盘报价",
    )
    return _Assessed(Method.INTERPOLATED, indications, low, high, head)


def _carried_forward(previous: Previous, decimals: int) -> _Assessed:
    """The previous assessment's range again, with nothing of the day's behind it."""
    low, high = previous.low, previous.high
    shown = f"{shown_price(low, decimals)}–{shown_price(high, decimals)}"
    head = Said(
        "Carried forward: no usable deals, bids, offers or indications; previous assessment "
        f"{shown} repeated",
        f"沿用前值：无可用成交、买卖盘或参考报价；沿用上一评估价{shown}",
    )
    return _Assessed(Method.CARRIED_FORWARD, [], low, high, head)


def _published(
    assessed: _Assessed,
    day: _SortedEvidence,
    notes: list[Said],
    decimals: int,
    previous: Previous | None,
    relative_change: bool,
) -> AssessmentResult:
    """The assessed price rounded as published, its change and what publication must show."""
    method, used, low, high = assessed.method, assessed.used, assessed.low, assessed.high
    carried_forward = method is Method.CARRIED_FORWARD
    # Carried forward, the previous published mid is repeated as it was, not re-derived from
    # the rounded range: the midpoint of that range can differ from it by rounding.
    mid = previous.mid if carried_forward and previous is not None else (low + high) / _TWO
    published_mid = round_price(mid, decimals)
    change, change_pct = price_change(
        published_mid,
        None if previous is None else previous.mid,
        price_step(decimals),
        relative=relative_change,
    )
    deals, excluded = day.deals, day.excluded
    considered = sorted(item.id for item in (*deals, *day.bids, *day.offers, *day.indications))
    excluded.sort(key=attrgetter("submission_id"))
    stats = statistics(used, decimals)
    explanation = _explanation(assessed.head, notes)
    return AssessmentResult(
        low=round_price(low, decimals),
        high=round_price(high, decimals),
        mid=published_mid,
        vwap=None if assessed.vwap is None else round_price(assessed.vwap, decimals),
        method=method,
        carried_forward=carried_forward,
        deals_used=len(deals) if method is Method.TRANSACTION else 0,
        volume_used=assessed.volume_used,
        inputs_used=tuple(sorted(item.id for item in used)),
        inputs_considered=tuple(considered),
        excluded=tuple(excluded),
        input_shares=input_shares(used, SubmissionKind),
        price_min=stats.price_min,
        price_max=stats.price_max,
        price_avg=stats.price_avg,
        volume_min=stats.volume_min,
        volume_max=stats.volume_max,
        volume_avg=stats.volume_avg,
        previous_mid=None if previous is None else previous.mid,
        change=change,
        change_pct=change_pct,
        explanation=explanation.en,
        explanation_zh=explanation.zh,
    )


def _explanation(head: Said, notes: list[Said]) -> Said:
    """The method's sentence first, then each note, as one sentence per language."""
    return Said(
        "; ".join([head.en, *(note.en for note in notes)]) + ".",
        "；".join([head.zh, *(note.zh for note in notes)]) + "。",
    )


def _reject_outliers(
    deals: list[_Input], rule: Rule, step: Decimal
) -> tuple[list[_Input], list[Exclusion]]:
    """Split deals (sorted by price) into those kept and those too far from the median deal."""
    prices = [deal.price for deal in deals]
    median = _median(prices)
    deviations = [abs(price - median) for price in prices]
    mad = _median(sorted(deviations))
    floor = max(rule.mad_floor * abs(median), step)
    scale = max(mad, floor)
    limit = rule.mad_k * scale
    if deviations[0] <= limit and deviations[-1] <= limit:
        # Sorted prices: the farthest deal is at one end, so the common case is settled here.
        return deals, []
    kept: list[_Input] = []
    rejected: list[Exclusion] = []
    for deal, deviation in zip(deals, deviations, strict=True):
        if deviation <= limit:
            kept.append(deal)
            continue
        reason, reason_zh = outlier_reason(
            deal.price, deviation, median, rule.mad_k, mad=mad, floor=floor, scale=scale
        )
        rejected.append(Exclusion(deal.id, deal.price, reason, reason_zh))
    return kept, rejected


def _median(ordered: list[Decimal]) -> Decimal:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / _TWO


def _one_sided(
    best: Decimal, side: tuple[str, str], tally: tuple[str, str], decimals: int
) -> tuple[Decimal, Decimal, Said]:
    """A market quoted on one side only: the range closes on that side's best price. ``side``
    and ``tally`` are in English and Chinese."""
    shown = shown_price(best, decimals)
    return (
        best,
        best,
        Said(
            f"Spread-based: best {side[0]} {shown} ({tally[0]})",
            f"基于价差：最优{side[1]}{shown}（{tally[1]}）",
        ),
    )


def _spread(
    bids: list[_Input], offers: list[_Input], decimals: int
) -> tuple[Decimal, Decimal, Said]:
    tally = (
        f"{counted(len(bids), 'bid', none='no bids')}, "
        f"{counted(len(offers), 'offer', none='no offers')}"
    )
    tally_zh = f"买盘{len(bids)}条，卖盘{len(offers)}条"
    if not offers:
        best_bid = max(item.price for item in bids)
        return _one_sided(best_bid, ("bid", "买价"), (tally, tally_zh), decimals)
    if not bids:
        best_offer = min(item.price for item in offers)
        return _one_sided(best_offer, ("offer", "卖价"), (tally, tally_zh), decimals)
    bid = max(item.price for item in bids)
    offer = min(item.price for item in offers)
    if bid > offer:
        # A crossed market has no spread to publish: both sides meet at their midpoint.
        middle = (bid + offer) / _TWO
        return (
            middle,
            middle,
            Said(
                f"Spread-based: crossed market, best bid {shown_price(bid, decimals)} above best "
                f"offer {shown_price(offer, decimals)}, collapsed to the midpoint "
                f"{shown_price(middle, decimals)} ({tally})",
                f"基于价差：买卖价倒挂，最优买价{shown_price(bid, decimals)}高于最优卖价"
                f"{shown_price(offer, decimals)}，取中间价{shown_price(middle, decimals)}"
                f"（{tally_zh}）",
            ),
        )
    return (
        bid,
        offer,
        Said(
            f"Spread-based: best bid {shown_price(bid, decimals)}, best offer "
            f"{shown_price(offer, decimals)} ({tally})",
            f"基于价差：最优买价{shown_price(bid, decimals)}，最优卖价"
            f"{shown_price(offer, decimals)}（{tally_zh}）",
        ),
    )


class _EngineRecord(NamedTuple):
    """What the engine computed, kept beside an analyst's judgment for the audit trail."""

    low: Decimal | None
    high: Decimal | None
    mid: Decimal | None
    method: Method | None
    explanation: str | None
    explanation_zh: str | None


def apply_judgment(
    result: AssessmentResult,
    *,
    low: Decimal,
    high: Decimal,
    rationale: str,
    decimals: int,
    previous: Previous | None,
    relative_change: bool = True,
) -> AssessmentResult:
    """An analyst's price over the engine's, explained; the engine's computation stays visible.
    ``relative_change`` as for ``assess``: a premium or a spread that may cross zero has no
    percentage change, whoever set its price."""
    rationale = rationale.strip()
    if not rationale:
        raise ValueError("a judgment needs a written rationale")
    if low > high:
        raise ValueError(f"low {low} is above high {high}")
    engine = _engine_record(result)
    with localcontext(EXACT):
        published_low = round_price(low, decimals)
        published_high = round_price(high, decimals)
        mid = round_price((low + high) / _TWO, decimals)
        change, change_pct = price_change(
            mid,
            None if previous is None else previous.mid,
            price_step(decimals),
            relative=relative_change,
        )
    explanation = _judgment_explanation(published_low, published_high, rationale, engine, decimals)
    return replace(
        result,
        low=published_low,
        high=published_high,
        mid=mid,
        method=Method.JUDGMENT,
        carried_forward=False,
        previous_mid=None if previous is None else previous.mid,
        change=change,
        change_pct=change_pct,
        explanation=explanation.en,
        explanation_zh=explanation.zh,
        rationale=rationale,
        engine_low=engine.low,
        engine_high=engine.high,
        engine_mid=engine.mid,
        engine_method=engine.method,
        engine_explanation=engine.explanation,
        engine_explanation_zh=engine.explanation_zh,
    )


def _engine_record(result: AssessmentResult) -> _EngineRecord:
    # A second judgment replaces the first, never the engine's record.
    if result.method is not Method.JUDGMENT:
        return _EngineRecord(
            result.low,
            result.high,
            result.mid,
            result.method,
            result.explanation,
            result.explanation_zh,
        )
    return _EngineRecord(
        result.engine_low,
        result.engine_high,
        result.engine_mid,
        result.engine_method,
        result.engine_explanation,
        result.engine_explanation_zh,
    )


def _judgment_explanation(
    low: Decimal, high: Decimal, rationale: str, engine: _EngineRecord, decimals: int
) -> Said:
    """The analyst's published range against the engine's, then the rationale."""
    # A rationale that already ends its sentence gets no second stop, in either language.
    ended = rationale.endswith((".", "!", "?", "。"))
    explanation = (
        f"Judgment: {shown_price(low, decimals)}–{shown_price(high, decimals)}"
        f" set by the analyst over the engine's {engine.method} "
        f"{shown_range(engine.low, engine.high, decimals)}. Rationale: {rationale}"
        f"{'' if ended else '.'}"
    )
    method_zh = METHOD_NAMES_ZH.get(engine.method, "") if engine.method else ""
    # The rationale stays as the analyst wrote it: the platform translates only its own words.
    engine_range = shown_range(engine.low, engine.high, decimals).replace("(none)", "（无）")
    explanation_zh = (
        f"分析师判断：{shown_price(low, decimals)}–"
        f"{shown_price(high, decimals)}，替代引擎的{method_zh}结果{engine_range}。"
        f"理由：{rationale}{'' if ended else '。'}"
    )
    return Said(explanation, explanation_zh)


def period_average(mids: Sequence[Decimal], decimals: int) -> Decimal:
    """Mean of the daily midpoints, rounded once (206, 208, 210, 211, 208 -> 208.60)."""
    if not mids:
        raise ValueError("a period average needs at least one daily mid")
    with localcontext(EXACT):
        return round_price(sum(mids, _ZERO) / len(mids), decimals)
