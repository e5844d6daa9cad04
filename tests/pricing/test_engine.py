"""The assessment engine, read as the methodology it implements."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metalwire.pricing.engine import (
    AssessmentResult,
    Evidence,
    Method,
    NoEvidence,
    Previous,
    Rule,
    SubmissionKind,
    apply_judgment,
    period_average,
)
from metalwire.pricing.engine import (
    assess as assess_in,
)

CUTOFF = datetime(2025, 1, 6, 3, 0, tzinfo=UTC)  # 11:00 Beijing for an 11:30 release
ON_TIME = CUTOFF - timedelta(hours=1)
RULE = Rule()
PREVIOUS = Previous(low=Decimal(7800), high=Decimal(7900), mid=Decimal(7850))


Number = Decimal | int | str


def assess(evidence: list[Evidence], rule: Rule, **options: object) -> AssessmentResult:
    """The engine on volumes in tonnes, the unit of these copper and silver examples."""
    options.setdefault("volume_unit", "t")
    return assess_in(evidence, rule, **options)  # type: ignore[arg-type]


def submission(
    id: int,
    kind: SubmissionKind,
    price: Number | None = None,
    *,
    low: Number | None = None,
    high: Number | None = None,
    volume: Number | None = None,
    adjustment: Number = 0,
    received_at: datetime = ON_TIME,
) -> Evidence:
    def exact(value: Number | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return Evidence(
        id=id,
        kind=kind,
        price=exact(price),
        low=exact(low),
        high=exact(high),
        volume=exact(volume),
        contributor=f"contributor-{id}",
        received_at=received_at,
        adjustment=Decimal(adjustment),
    )


def deal(
    id: int,
    price: Number,
    volume: Number = 100,
    *,
    adjustment: Number = 0,
    received_at: datetime = ON_TIME,
) -> Evidence:
    return submission(
        id,
        SubmissionKind.DEAL,
        price,
        volume=volume,
        adjustment=adjustment,
        received_at=received_at,
    )


def bid(id: int, price: Number, *, received_at: datetime = ON_TIME) -> Evidence:
    return submission(id, SubmissionKind.BID, price, received_at=received_at)


def offer(id: int, price: Number) -> Evidence:
    return submission(id, SubmissionKind.OFFER, price)


def indication(
    id: int,
    price: Number | None = None,
    *,
    low: Number | None = None,
    high: Number | None = None,
    adjustment: Number = 0,
) -> Evidence:
    return submission(
        id, SubmissionKind.INDICATION, price, low=low, high=high, adjustment=adjustment
    )


# --- transaction-based -----------------------------------------------------------------------


def test_five_deals_give_a_transaction_based_range_from_lowest_to_highest_deal_with_vwap() -> None:
    deals = [
        deal(1, 7840, 100),
        deal(2, 7850, 200),
        deal(3, 7860, 300),
        deal(4, 7855, 400),
        deal(5, 7845, 200),
    ]
    result = assess(deals, RULE, decimals=0)
    assert result.method is Method.TRANSACTION
    assert (result.low, result.high, result.mid) == (Decimal(7840), Decimal(7860), Decimal(7850))
    # 9,423,000 / 1,200 t = 7852.5, published half-up at 0 decimals
    assert result.vwap == Decimal(7853)
    assert result.deals_used == 5
    assert result.volume_used == Decimal(1200)
    assert result.inputs_used == (1, 2, 3, 4, 5)
    assert result.excluded == ()
    assert result.carried_forward is False
    assert result.explanation == "Transaction-based: 5 deals, 1,200 t."


def test_the_publication_fields_describe_the_inputs_used() -> None:
    deals = [deal(1, 7840, 100), deal(2, 7850, 200), deal(3, 7866, 300)]
    result = assess([*deals, bid(4, 7830), offer(5, 7870)], RULE, decimals=0)
    assert result.method is Method.TRANSACTION
    assert (result.price_min, result.price_max, result.price_avg) == (
        Decimal(7840),
        Decimal(7866),
        Decimal(7852),
    )
    assert (result.volume_min, result.volume_max) == (Decimal(100), Decimal(300))
    assert result.volume_avg == Decimal("200.000")
    assert result.input_shares == {
        "deal": Decimal("100.00"),
        "bid": Decimal("0.00"),
        "offer": Decimal("0.00"),
        "indication": Decimal("0.00"),
    }
    # The bid and offer were looked at, but deals rank above them in the data hierarchy.
    assert result.inputs_considered == (1, 2, 3, 4, 5)
    assert result.inputs_used == (1, 2, 3)


def test_one_outlier_among_five_deals_is_excluded_with_its_reason_and_cannot_move_the_mid() -> None:
    market = [deal(1, 7800), deal(2, 7825), deal(3, 7850), deal(4, 7875), deal(5, 7900)]
    with_outlier = assess([*market, deal(6, 9100)], RULE, decimals=0)
    without = assess(market, RULE, decimals=0)
    assert with_outlier.mid == without.mid == Decimal(7850)
    assert (with_outlier.low, with_outlier.high) == (Decimal(7800), Decimal(7900))
    assert with_outlier.inputs_used == with_outlier.inputs_considered == (1, 2, 3, 4, 5)
    [exclusion] = with_outlier.excluded
    assert exclusion.submission_id == 6
    assert exclusion.price == Decimal(9100)
    # median of six deals 7862.5; MAD 37.5; 1237.5 / 37.5 = 33.0
    assert exclusion.reason == "outlier: 9100 is 33.0 MADs from the median deal 7862.5 (limit 3)"
    assert with_outlier.explanation == (
        "Transaction-based: 5 deals, 500 t; 1 deal excluded as an outlier."
    )


def test_with_mad_zero_one_extreme_deal_among_identical_deals_is_judged_against_the_floor() -> None:
    identical = [deal(n, 7850) for n in range(1, 6)]
    result = assess([*identical, deal(6, 9100)], RULE, decimals=0)
    assert result.mid == Decimal(7850)
    [exclusion] = result.excluded
    # the floor: 0.1% of the median deal, 7.85; 1250 / 7.85 = 159.2
    assert exclusion.reason == (
        "outlier: 9100 is 159.2 times the deviation floor 7.85 from the median deal 7850 "
        "(limit 3; MAD 0 is below the floor)"
    )


def test_with_mad_zero_a_deal_within_the_floor_band_is_kept() -> None:
    # 3 x 7.85 = 23.55 either side of 7850: a deal 10 away is market, not an outlier
    identical = [deal(n, 7850) for n in range(1, 6)]
    result = assess([*identical, deal(6, 7860)], RULE, decimals=0)
    assert result.excluded == ()
    assert (result.low, result.high) == (Decimal(7850), Decimal(7860))


def test_with_a_median_of_zero_the_floor_is_one_price_step() -> None:
    # premiums can sit at zero: one step (1 at 0 decimals) keeps the filter defined
    flat = [deal(n, 0) for n in range(1, 6)]
    result = assess([*flat, deal(6, 3), deal(7, 4)], RULE, decimals=0)
    assert [e.submission_id for e in result.excluded] == [7]
    assert result.high == Decimal(3)


def test_outlier_filtering_needs_at_least_three_deals() -> None:
    result = assess([deal(1, 7850), deal(2, 9100)], Rule(min_deals=2), decimals=0)
    assert result.method is Method.TRANSACTION
    assert result.excluded == ()
    assert (result.low, result.high) == (Decimal(7850), Decimal(9100))


def test_mad_k_is_the_familys_limit() -> None:
    market = [deal(1, 7800), deal(2, 7825), deal(3, 7850), deal(4, 7875), deal(5, 7900)]
    loose = assess([*market, deal(6, 9100)], Rule(mad_k=Decimal(40)), decimals=0)
    assert loose.excluded == ()
    assert loose.high == Decimal(9100)


# --- spread-based ----------------------------------------------------------------------------


def test_two_deals_and_a_bid_and_offer_fall_back_to_spread_based() -> None:
    evidence = [deal(1, 7850), deal(2, 7860), bid(3, 7800), bid(4, 7820), offer(5, 7880)]
    result = assess(evidence, RULE, decimals=0)
    assert result.method is Method.SPREAD
    assert (result.low, result.high, result.mid) == (Decimal(7820), Decimal(7880), Decimal(7850))
    assert result.vwap is None
    assert result.deals_used == 0
    assert result.volume_used == 0
    assert result.inputs_used == (3, 4, 5)
    assert result.inputs_considered == (1, 2, 3, 4, 5)
    assert result.input_shares["bid"] == Decimal("66.67")
    assert result.input_shares["offer"] == Decimal("33.33")
    assert result.explanation == (
        "Spread-based: best bid 7,820, best offer 7,880 (2 bids, 1 offer); "
        "2 deals, below the minimum of 3, not used."
    )


def test_only_bids_publish_the_best_bid() -> None:
    result = assess([bid(1, 7800), bid(2, 7820)], RULE, decimals=0)
    assert result.method is Method.SPREAD
    assert result.low == result.high == result.mid == Decimal(7820)
    assert result.explanation == "Spread-based: best bid 7,820 (2 bids, no offers)."


def test_only_offers_publish_the_best_offer() -> None:
    result = assess([offer(1, 7900), offer(2, 7880)], RULE, decimals=0)
    assert result.low == result.high == result.mid == Decimal(7880)


def test_a_crossed_market_collapses_to_the_midpoint() -> None:
    result = assess([bid(1, 7900), offer(2, 7850)], RULE, decimals=2)
    assert result.method is Method.SPREAD
    assert result.low == result.high == result.mid == Decimal("7875.00")
    assert "crossed market" in result.explanation


# --- interpolated and carried forward --------------------------------------------------------


def test_indications_only_are_interpolated_from_the_mean_of_their_lows_and_highs() -> None:
    evidence = [
        indication(1, low=7800, high=7900),
        indication(2, low=7820, high=7880),
        indication(3, 7850),  # a single price is both its low and its high
    ]
    result = assess(evidence, RULE, decimals=2)
    assert result.method is Method.INTERPOLATED
    assert result.low == Decimal("7823.33")  # (7800 + 7820 + 7850) / 3
    assert result.high == Decimal("7876.67")  # (7900 + 7880 + 7850) / 3
    assert result.mid == Decimal("7850.00")
    assert result.input_shares["indication"] == Decimal("100.00")
    assert result.explanation == "Interpolated: mean of 3 indications, no bids or offers."


def test_nothing_usable_carries_the_previous_assessment_forward_and_flags_it() -> None:
    result = assess([], RULE, decimals=0, previous=PREVIOUS)
    assert result.method is Method.CARRIED_FORWARD
    assert result.carried_forward is True
    assert (result.low, result.high, result.mid) == (PREVIOUS.low, PREVIOUS.high, PREVIOUS.mid)
    assert result.change == 0
    assert result.change_pct == Decimal("0.00")
    assert result.inputs_used == ()
    assert result.price_min is None and result.volume_avg is None
    assert result.explanation.startswith("Carried forward:")


def test_too_few_deals_and_nothing_else_carry_forward_and_still_report_the_deals() -> None:
    result = assess([deal(1, 7990), deal(2, 8000)], RULE, decimals=0, previous=PREVIOUS)
    assert result.method is Method.CARRIED_FORWARD
    assert result.inputs_considered == (1, 2)
    assert result.inputs_used == ()
    assert "2 deals, below the minimum of 3, not used" in result.explanation


def test_nothing_and_no_previous_raises_no_evidence() -> None:
    with pytest.raises(NoEvidence, match="no previous assessment"):
        assess([], RULE, decimals=0)
    late_only = [bid(1, 7800, received_at=CUTOFF + timedelta(minutes=1))]
    with pytest.raises(NoEvidence, match="1 submitted, 1 excluded"):
        assess(late_only, RULE, decimals=0, cutoff=CUTOFF)


# --- what counts ------------------------------------------------------------------------------


def test_a_late_submission_after_the_cut_off_is_excluded_with_its_reason() -> None:
    late = deal(4, 7700, received_at=CUTOFF + timedelta(minutes=5))
    at_cutoff = deal(3, 7860, received_at=CUTOFF)  # "by 11:00" includes 11:00
    result = assess(
        [deal(1, 7840), deal(2, 7850), at_cutoff, late], RULE, decimals=0, cutoff=CUTOFF
    )
    assert result.inputs_used == (1, 2, 3)
    [exclusion] = result.excluded
    assert exclusion.submission_id == 4
    assert exclusion.reason == (
        "late: received 2025-01-06T03:05:00+00:00, after the cut-off 2025-01-06T03:00:00+00:00"
    )
    assert result.explanation == (
        "Transaction-based: 3 deals, 300 t; 1 submission received after the cut-off excluded."
    )


def test_a_naive_cut_off_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        assess([deal(1, 7850)], RULE, decimals=0, cutoff=datetime(2025, 1, 6, 11, 0))


def test_an_adjustment_normalizes_to_the_base_specification() -> None:
    evidence = [
        deal(1, 7800, adjustment=50),  # a lower grade, +50 to the base spec
        deal(2, 7900, adjustment=-40),
        deal(3, 7855),
        indication(4, low=7700, high=7800, adjustment=100),
    ]
    result = assess(evidence, RULE, decimals=0)
    assert (result.low, result.high) == (Decimal(7850), Decimal(7860))
    ranged = assess([evidence[3]], RULE, decimals=0)
    assert (ranged.low, ranged.high) == (Decimal(7800), Decimal(7900))


def test_a_submission_below_the_minimum_volume_is_excluded() -> None:
    rule = Rule(min_volume=Decimal(100))
    evidence = [deal(1, 7840, 100), deal(2, 7850, 150), deal(3, 7860, 200), deal(4, 7000, 20)]
    result = assess([*evidence, bid(5, 7830)], rule, decimals=0)  # a bid has no volume: kept
    assert result.inputs_used == (1, 2, 3)
    assert result.inputs_considered == (1, 2, 3, 5)
    [exclusion] = result.excluded
    assert exclusion.submission_id == 4
    assert exclusion.reason == "below minimum volume: 20 t is under the minimum 100 t"
    assert result.explanation.endswith("1 submission below the minimum volume of 100 t excluded.")


def test_the_volume_unit_labels_the_explanation() -> None:
    deals = [deal(1, 7840, "1.5"), deal(2, 7850, 1000), deal(3, 7860, 2)]
    result = assess(deals, RULE, decimals=0, volume_unit="kg")
    assert result.explanation == "Transaction-based: 3 deals, 1,003.5 kg."


def test_deals_without_volume_still_set_the_range_but_publish_no_vwap() -> None:
    deals = [submission(n, SubmissionKind.DEAL, p) for n, p in ((1, 7840), (2, 7850), (3, 7860))]
    result = assess(deals, RULE, decimals=0)
    assert (result.low, result.high, result.vwap) == (Decimal(7840), Decimal(7860), None)
    assert result.explanation == "Transaction-based: 3 deals."


def test_a_submission_with_neither_price_nor_range_is_refused() -> None:
    with pytest.raises(ValueError, match="neither a price nor a low and high"):
        assess([submission(1, SubmissionKind.BID)], RULE, decimals=0)


# --- rounding and change ---------------------------------------------------------------------


def test_rounding_is_half_up() -> None:
    # mid of 7850 and 7851 is 7850.5: half-up publishes 7851 (banker's rounding would say 7850)
    result = assess([deal(1, 7850), deal(2, "7850.5"), deal(3, 7851)], RULE, decimals=0)
    assert result.mid == Decimal(7851)


def test_rounding_happens_once_at_the_end() -> None:
    # low 7850.2 and high 7850.6 have mid 7850.4 -> 7850. Rounding low and high first
    # (7850, 7851) and then the mid (7850.5) would publish 7851.
    result = assess([deal(1, "7850.2"), deal(2, "7850.4"), deal(3, "7850.6")], RULE, decimals=0)
    assert (result.low, result.high, result.mid) == (Decimal(7850), Decimal(7851), Decimal(7850))


def test_published_prices_carry_the_series_decimals() -> None:
    result = assess([deal(1, 7850), deal(2, 7851), deal(3, 7852)], RULE, decimals=2)
    assert [str(v) for v in (result.low, result.high, result.mid, result.vwap)] == [
        "7850.00",
        "7852.00",
        "7851.00",
        "7851.00",
    ]


def test_change_and_change_percent_are_against_the_previous_published_mid() -> None:
    previous = Previous(low=Decimal(7750), high=Decimal(7850), mid=Decimal(7800))
    result = assess(
        [deal(1, 7840), deal(2, 7850), deal(3, 7860)], RULE, decimals=0, previous=previous
    )
    assert result.change == Decimal(50)
    assert result.change_pct == Decimal("0.64")  # 50 / 7800 = 0.641%
    assert result.previous_mid == Decimal(7800)
    first = assess([deal(1, 7840), deal(2, 7850), deal(3, 7860)], RULE, decimals=0)
    assert first.change is None and first.change_pct is None


def test_the_change_is_the_difference_of_published_mids() -> None:
    # unrounded mid 7850.5 publishes as 7851; against 7851 the change is 0, not -1
    previous = Previous(low=Decimal(7851), high=Decimal(7851), mid=Decimal(7851))
    result = assess(
        [deal(1, 7850), deal(2, 7850), deal(3, 7851)], RULE, decimals=0, previous=previous
    )
    assert result.mid == Decimal(7851)
    assert result.change == 0


def test_a_period_average_is_the_mean_of_the_daily_mids() -> None:
    mids = [Decimal(v) for v in (206, 208, 210, 211, 208)]
    assert period_average(mids, 2) == Decimal("208.60")
    with pytest.raises(ValueError):
        period_average([], 2)


# --- judgment --------------------------------------------------------------------------------


def _transaction() -> AssessmentResult:
    return assess(
        [deal(1, 7840), deal(2, 7850), deal(3, 7860)], RULE, decimals=0, previous=PREVIOUS
    )


@pytest.mark.parametrize("rationale", ["", "   "])
def test_judgment_needs_a_written_rationale(rationale: str) -> None:
    with pytest.raises(ValueError, match="rationale"):
        apply_judgment(
            _transaction(),
            low=Decimal(7800),
            high=Decimal(7900),
            rationale=rationale,
            decimals=0,
            previous=PREVIOUS,
        )


def test_judgment_overrides_the_price_and_keeps_the_engines_computation_visible() -> None:
    engine = _transaction()
    judged = apply_judgment(
        engine,
        low=Decimal(7870),
        high=Decimal(7890),
        rationale="Deals were done before an LME rally; late offers firmed",
        decimals=0,
        previous=PREVIOUS,
    )
    assert judged.method is Method.JUDGMENT
    assert (judged.low, judged.high, judged.mid) == (Decimal(7870), Decimal(7890), Decimal(7880))
    assert (judged.engine_low, judged.engine_high, judged.engine_mid) == (
        Decimal(7840),
        Decimal(7860),
        Decimal(7850),
    )
    assert judged.engine_method is Method.TRANSACTION
    assert judged.engine_explanation == engine.explanation
    assert judged.change == Decimal(30)
    assert judged.rationale == "Deals were done before an LME rally; late offers firmed"
    assert judged.explanation == (
        "Judgment: 7,870–7,890 set by the analyst over the engine's transaction-based "
        "7,840–7,860. Rationale: Deals were done before an LME rally; late offers firmed."
    )
    assert judged.inputs_used == engine.inputs_used  # the evidence does not change


def test_a_second_judgment_keeps_the_engines_original() -> None:
    first = apply_judgment(
        _transaction(),
        low=Decimal(7870),
        high=Decimal(7890),
        rationale="a",
        decimals=0,
        previous=None,
    )
    second = apply_judgment(
        first, low=Decimal(7860), high=Decimal(7880), rationale="b", decimals=0, previous=None
    )
    assert second.engine_method is Method.TRANSACTION
    assert (second.engine_low, second.engine_high) == (Decimal(7840), Decimal(7860))


def test_judgment_over_a_carried_forward_price_is_no_longer_carried_forward() -> None:
    carried = assess([], RULE, decimals=0, previous=PREVIOUS)
    judged = apply_judgment(
        carried, low=Decimal(7900), high=Decimal(7950), rationale="x", decimals=0, previous=PREVIOUS
    )
    assert judged.carried_forward is False
    assert judged.engine_method is Method.CARRIED_FORWARD


def test_judgment_refuses_a_low_above_the_high() -> None:
    with pytest.raises(ValueError, match="above high"):
        apply_judgment(
            _transaction(),
            low=Decimal(2),
            high=Decimal(1),
            rationale="x",
            decimals=0,
            previous=None,
        )


# --- the published record --------------------------------------------------------------------


def test_to_dict_is_json_safe_with_decimals_as_strings() -> None:
    evidence = [deal(1, 7840), deal(2, 7850), deal(3, 7860), deal(4, 9100)]
    result = assess([*evidence, deal(5, 7850), deal(6, 7850)], RULE, decimals=2, previous=PREVIOUS)
    record = result.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["mid"] == "7850.00"
    assert record["method"] == "transaction-based"
    assert record["excluded"][0]["submission_id"] == 4
    assert record["excluded"][0]["price"] == "9100"
    assert record["input_shares"]["deal"] == "100.00"
    assert record["inputs_used"] == [1, 2, 3, 5, 6]


def test_a_rule_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        Rule(min_deals=0)
    with pytest.raises(ValueError):
        Rule(mad_k=Decimal(0))
    with pytest.raises(ValueError):
        Rule(min_volume=Decimal(-1))


# --- properties ------------------------------------------------------------------------------

volumes = st.decimals(min_value=1, max_value=10_000, places=0)


@st.composite
def markets(
    draw: st.DrawFn,
    *,
    decimals: int = 2,
    kinds: tuple[SubmissionKind, ...] = tuple(SubmissionKind),
    adjustments: tuple[str, ...] = ("0", "0", "-10", "25.5"),
) -> list[Evidence]:
    """A day's submissions: every kind, prices on a grid of ``decimals``, some late."""
    step = Decimal(1).scaleb(-decimals)
    size = draw(st.integers(min_value=0, max_value=25))
    evidence = []
    for id in range(1, size + 1):
        kind = draw(st.sampled_from(kinds))
        price = draw(st.integers(1, 10_000_000)) * step
        ranged = kind is SubmissionKind.INDICATION and draw(st.booleans())
        spread = draw(st.integers(0, 50_000)) * step
        evidence.append(
            submission(
                id,
                kind,
                None if ranged else price,
                low=price if ranged else None,
                high=price + spread if ranged else None,
                volume=draw(volumes) if kind is SubmissionKind.DEAL else None,
                adjustment=draw(st.sampled_from(adjustments)),
                received_at=ON_TIME + timedelta(minutes=draw(st.integers(0, 90))),
            )
        )
    return evidence


@given(markets(), st.integers(0, 4))
def test_low_is_at_most_mid_is_at_most_high(evidence: list[Evidence], decimals: int) -> None:
    result = assess(evidence, RULE, decimals=decimals, previous=PREVIOUS, cutoff=CUTOFF)
    assert result.low <= result.mid <= result.high
    if result.vwap is not None:
        assert result.low <= result.vwap <= result.high


@given(markets(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_submissions(
    evidence: list[Evidence], rng: random.Random
) -> None:
    shuffled = list(evidence)
    rng.shuffle(shuffled)
    first = assess(evidence, RULE, decimals=2, previous=PREVIOUS, cutoff=CUTOFF)
    second = assess(shuffled, RULE, decimals=2, previous=PREVIOUS, cutoff=CUTOFF)
    assert first.to_dict() == second.to_dict()


@given(
    base=st.decimals(min_value=100, max_value=100_000, places=2),
    offsets=st.lists(st.integers(0, 200), min_size=5, max_size=20),
    factor=st.sampled_from([Decimal("0.5"), Decimal("1.5"), Decimal(3)]),
    data=st.data(),
)
def test_one_extreme_outlier_among_five_or_more_deals_cannot_move_the_mid(
    base: Decimal, offsets: list[int], factor: Decimal, data: st.DataObject
) -> None:
    # a market within 0.2% of its lowest deal: inside the MAD floor, so no deal of it is an outlier
    market = [deal(n, base + base * offset / 100_000) for n, offset in enumerate(offsets, 1)]
    extreme = deal(len(market) + 1, (base * factor).quantize(Decimal("0.01")))
    position = data.draw(st.integers(0, len(market)))
    with_outlier = [*market[:position], extreme, *market[position:]]
    assert assess(with_outlier, RULE, decimals=2).mid == assess(market, RULE, decimals=2).mid
    assert [e.submission_id for e in assess(with_outlier, RULE, decimals=2).excluded] == [
        extreme.id
    ]


@given(markets(), st.integers(0, 4))
def test_published_values_carry_exactly_the_series_decimals(
    evidence: list[Evidence], decimals: int
) -> None:
    result = assess(evidence, RULE, decimals=decimals, previous=PREVIOUS, cutoff=CUTOFF)
    for value in (result.low, result.high, result.mid, result.vwap, result.change):
        if value is not None:
            assert value.as_tuple().exponent == -decimals


@given(st.integers(0, 4), st.data())
def test_rounding_is_stable(decimals: int, data: st.DataObject) -> None:
    # Already-rounded deals, bids and offers: the published range is made of their own prices,
    # and assessing the published low, mid and high again gives the same digits back.
    evidence = data.draw(
        markets(
            decimals=decimals,
            kinds=(SubmissionKind.DEAL, SubmissionKind.BID, SubmissionKind.OFFER),
            adjustments=("0", "-10", "25"),
        )
    )
    result = assess(evidence, RULE, decimals=decimals, previous=PREVIOUS)
    normalized = {e.price + e.adjustment for e in evidence if e.price is not None}
    if result.method is Method.TRANSACTION:
        assert {result.low, result.high} <= normalized
    again = assess(
        [deal(1, result.low), deal(2, result.mid), deal(3, result.high)], RULE, decimals=decimals
    )
    assert (again.low, again.mid, again.high) == (result.low, result.mid, result.high)


# Words the Chinese sentences may keep: the statistic's abbreviation.
_LATIN_KEPT = {"MAD"}


def _english_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in _LATIN_KEPT}


@given(markets(), st.integers(0, 4))
def test_every_explanation_and_exclusion_also_comes_in_chinese(
    evidence: list[Evidence], decimals: int
) -> None:
    """The Chinese site reads the engine's own words in Chinese: every explanation and every
    reason for an exclusion has a Chinese twin with no English word in it (issue #17)."""
    try:
        result = assess(
            evidence, RULE, decimals=decimals, previous=PREVIOUS, cutoff=CUTOFF, volume_unit="kg"
        )
    except NoEvidence:
        return
    assert result.explanation_zh.endswith("。")
    assert not _english_words(result.explanation_zh), result.explanation_zh
    for item in result.excluded:
        assert item.reason_zh and not _english_words(item.reason_zh), item
    judged = apply_judgment(
        result,
        low=result.low,
        high=result.high,
        rationale="买盘走强",
        decimals=decimals,
        previous=PREVIOUS,
    )
    assert judged.explanation_zh.startswith("分析师判断：")
    assert not _english_words(judged.explanation_zh), judged.explanation_zh
    assert judged.engine_explanation_zh == result.explanation_zh


def test_the_chinese_explanation_counts_and_labels_as_the_english_one() -> None:
    deals = [submission(i, SubmissionKind.DEAL, 7840 + 5 * i, volume=110) for i in range(1, 4)]
    result = assess(deals, RULE, decimals=0, previous=PREVIOUS, cutoff=CUTOFF, volume_unit="kg")
    assert result.explanation == "Transaction-based: 3 deals, 330 kg."
    assert result.explanation_zh == "基于成交：3笔成交，共330千克。"


def test_a_judged_premium_has_a_change_but_no_percentage_like_an_assessed_one() -> None:
    # A premium or spread may cross zero: assess() gives it no change_pct, nor may a judgment.
    judged = apply_judgment(
        _transaction(),
        low=Decimal(7870),
        high=Decimal(7890),
        rationale="Bonded stocks tightened",
        decimals=0,
        previous=PREVIOUS,
        relative_change=False,
    )
    assert judged.change == Decimal(30) and judged.change_pct is None
    outright = apply_judgment(
        _transaction(),
        low=Decimal(7870),
        high=Decimal(7890),
        rationale="Bonded stocks tightened",
        decimals=0,
        previous=PREVIOUS,
    )
    assert outright.change_pct is not None
