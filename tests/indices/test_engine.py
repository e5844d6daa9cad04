"""The index engine, read as the methodology it implements."""

from __future__ import annotations

import csv
import itertools
import json
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalwire.indices.engine import (
    DefinitionError,
    Formula,
    IndexDataError,
    IndexDefinition,
    IndexPoint,
    compute,
    packaged_definition,
    parse_definition,
    weights_on,
)

Prices = dict[str, list[tuple[date, Decimal]]]

D = Decimal
CENT = D("0.01")


def definition(**overrides: Any) -> IndexDefinition:
    """Copper 3 : aluminium 1, base value 100 over 2024-01-01..2024-01-02."""
    data: dict[str, Any] = {
        "code": "TEST-INDEX",
        "name": "Test index",
        "base_value": "100",
        "base_period": {"start": "2024-01-01", "end": "2024-01-02"},
        "formula": "laspeyres",
        "constituents": [
            {"series": "CU-SPOT", "weight": "3"},
            {"instrument": "AL-LME", "weight": "1"},
        ],
    }
    data.update(overrides)
    return IndexDefinition.model_validate(data)


def series(*quotes: tuple[str, str]) -> list[tuple[date, Decimal]]:
    return [(date.fromisoformat(day), D(price)) for day, price in quotes]


BASE_PRICES: Prices = {
    # Copper averages 105 over the base period, aluminium 50.
    "CU-SPOT": series(("2024-01-01", "100"), ("2024-01-02", "110"), ("2024-01-03", "126")),
    "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "50"), ("2024-01-03", "45")),
}


def by_date(points: list[IndexPoint]) -> dict[date, IndexPoint]:
    return {point.date: point for point in points}


# --- definitions ---------------------------------------------------------------------------


YAML = """
code: MW-TEST
name: Test composite
name_zh: 测试指数
base_value: 1000
base_period: {start: 2024-01-01, end: 2024-12-31}
formula: chain-laspeyres
constituents:
  - series: CU-SPOT
    weight: 0.6
  - instrument: AL-LME
    weight: 0.4
reweights:
  - date: 2025-01-01
    weights: {CU-SPOT: 0.5, AL-LME: 0.5}
decimals: 3
methodology: Weights by market share.
"""


def test_a_definition_reads_the_same_from_yaml_and_json() -> None:
    from_yaml = parse_definition(YAML)
    from_json = parse_definition(
        json.dumps(
            {
                "code": "MW-TEST",
                "name": "Test composite",
                "name_zh": "测试指数",
                "base_value": 1000,
                "base_period": {"start": "2024-01-01", "end": "2024-12-31"},
                "formula": "chain-laspeyres",
                "constituents": [
                    {"series": "CU-SPOT", "weight": 0.6},
                    {"instrument": "AL-LME", "weight": 0.4},
                ],
                "reweights": [{"date": "2025-01-01", "weights": {"CU-SPOT": 0.5, "AL-LME": 0.5}}],
                "decimals": 3,
                "methodology": "Weights by market share.",
            }
        )
    )
    assert from_yaml == from_json
    assert from_yaml.formula is Formula.CHAIN_LASPEYRES
    assert from_yaml.codes == ("CU-SPOT", "AL-LME")
    # Weights stay exact decimals, never binary floats.
    assert from_yaml.constituents[0].weight == D("0.6")
    assert from_json.reweights[0].weights["AL-LME"] == D("0.5")
    assert from_yaml.carry_forward_days == 5


def test_yaml_in_flow_style_is_not_mistaken_for_json() -> None:
    flow = (
        "{code: MW-TEST, name: Flow, base_value: 100, formula: laspeyres,"
        " base_period: {start: 2024-01-01, end: 2024-01-31},"
        " constituents: [{series: CU-SPOT, weight: 1}]}"
    )
    assert parse_definition(flow).codes == ("CU-SPOT",)


def test_defaults() -> None:
    plain = definition()
    assert plain.decimals == 2
    assert plain.name_zh is None
    assert plain.reweights == ()
    assert plain.methodology == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "constituents": [
                    {"series": "CU-SPOT", "weight": 1},
                    {"series": "CU-SPOT", "weight": 2},
                ]
            },
            "constituents[1]: duplicate constituent 'CU-SPOT'",
        ),
        ({"formula": "paasche"}, "formula: Input should be 'laspeyres' or 'chain-laspeyres'"),
        (
            {"base_period": {"start": "2024-02-01", "end": "2024-01-31"}},
            "base_period: end 2024-01-31 is before start 2024-02-01",
        ),
        (
            {"constituents": [{"series": "CU-SPOT", "instrument": "CU-LME", "weight": 1}]},
            "constituents.0: give exactly one of series or instrument",
        ),
        (
            {"constituents": [{"weight": 1}]},
            "constituents.0: give exactly one of series or instrument",
        ),
        (
            {"constituents": [{"series": "CU-SPOT", "weight": 0}]},
            "constituents.0.weight: Input should be greater than 0",
        ),
        ({"constituents": []}, "constituents: Tuple should have at least 1 item"),
        ({"base_value": "-5"}, "base_value: Input should be greater than 0"),
        ({"decimals": 9}, "decimals: Input should be less than or equal to 6"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        (
            {"reweights": [{"date": "2024-06-01", "weights": {"CU-SPOT": 1, "AL-LME": 1}}]},
            "reweights: a fixed-weight laspeyres index is never reweighted",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    data = definition().model_dump(mode="json", exclude_defaults=True)
    data.update(change)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(json.dumps(data))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("reweights", "message"),
    [
        (
            [{"date": "2024-06-01", "weights": {"CU-SPOT": 1, "AL-LME": 1, "NI-LME": 1}}],
            "reweights[0].weights: 'NI-LME' not among the constituents",
        ),
        (
            [{"date": "2024-06-01", "weights": {"CU-SPOT": 1}}],
            "reweights[0].weights: no weight for 'AL-LME'",
        ),
        (
            [{"date": "2024-01-02", "weights": {"CU-SPOT": 1, "AL-LME": 1}}],
            "reweights[0].date: 2024-01-02 is not after the base period (ends 2024-01-02)",
        ),
        (
            [
                {"date": "2024-06-01", "weights": {"CU-SPOT": 1, "AL-LME": 1}},
                {"date": "2024-03-01", "weights": {"CU-SPOT": 1, "AL-LME": 2}},
            ],
            "reweights[1].date: 2024-03-01 is not after the previous reweight 2024-06-01",
        ),
        (
            [{"date": "2024-06-01", "weights": {"CU-SPOT": 1, "AL-LME": -1}}],
            "reweights.0.weights.AL-LME: Input should be greater than 0",
        ),
        ([{"date": "2024-06-01", "weights": {}}], "a reweight needs a weight for every"),
    ],
)
def test_a_bad_reweight_is_refused_naming_the_field(
    reweights: list[dict[str, Any]], message: str
) -> None:
    data = definition().model_dump(mode="json", exclude_defaults=True)
    data.update(formula="chain-laspeyres", reweights=reweights)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(json.dumps(data))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code: [unclosed", "not a valid YAML or JSON index definition"),
        ('{"code": ', "not a valid YAML or JSON index definition"),
        ("- just\n- a list\n", "an index definition is a mapping"),
        ("", "an index definition is a mapping"),
    ],
)
def test_unreadable_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_definition(text)


def test_normalized_weights_follow_the_reweights() -> None:
    chained = parse_definition(YAML)
    assert weights_on(chained, date(2024, 12, 31)) == {"CU-SPOT": D("0.6"), "AL-LME": D("0.4")}
    assert weights_on(chained, date(2025, 1, 1)) == {"CU-SPOT": D("0.5"), "AL-LME": D("0.5")}
    assert weights_on(definition(), date(2024, 1, 1)) == {
        "CU-SPOT": D("0.75"),
        "AL-LME": D("0.25"),
    }


# --- fixed-weight Laspeyres ------------------------------------------------------------------


def test_laspeyres_by_hand() -> None:
    points = by_date(compute(definition(), BASE_PRICES))
    # Weights 3 : 1 normalize to 0.75 and 0.25; base averages: copper (100 + 110) / 2 = 105,
    # aluminium 50.
    # 2024-01-03: 100 × (0.75 × 126 / 105 + 0.25 × 45 / 50) = 100 × (0.9 + 0.225) = 112.5
    third = points[date(2024, 1, 3)]
    assert third.value == D("112.50")
    # Contributions in index points: copper 100 × 0.9 = 90, aluminium 100 × 0.225 = 22.5.
    assert third.contributions == {"CU-SPOT": D("90.00"), "AL-LME": D("22.50")}
    assert third.constituents_used == 2
    assert third.carried_forward == {}
    # 2024-01-01: 100 × (0.75 × 100 / 105 + 0.25 × 1) = 71.428571... + 25 = 96.428571... -> 96.43
    assert points[date(2024, 1, 1)].value == D("96.43")
    # 2024-01-02: 100 × (0.75 × 110 / 105 + 0.25) = 78.571428... + 25 = 103.571428... -> 103.57
    assert points[date(2024, 1, 2)].value == D("103.57")


def test_the_base_period_averages_the_base_value() -> None:
    points = compute(definition(), BASE_PRICES, end=date(2024, 1, 2))
    # 96.428571... and 103.571428... average exactly 100: the base is each price's average.
    assert [point.value for point in points] == [D("96.43"), D("103.57")]
    assert sum(point.value for point in points) / 2 == 100


def test_weights_in_any_scale_give_the_same_index() -> None:
    percent = definition(
        constituents=[
            {"series": "CU-SPOT", "weight": "75"},
            {"instrument": "AL-LME", "weight": "25"},
        ]
    )
    assert compute(percent, BASE_PRICES) == compute(definition(), BASE_PRICES)


def test_the_value_is_rounded_half_up_once() -> None:
    one = definition(
        constituents=[{"series": "CU-SPOT", "weight": "1"}],
        base_period={"start": "2024-01-01", "end": "2024-01-01"},
    )
    prices = {"CU-SPOT": series(("2024-01-01", "200"), ("2024-01-02", "200.01"))}
    # 100 × 200.01 / 200 = 100.005 exactly: half-up gives 100.01 (banker's rounding 100.00).
    assert compute(one, prices)[-1].value == D("100.01")
    assert compute(one.model_copy(update={"decimals": 0}), prices)[-1].value == D("100")


def test_contributions_add_up_to_the_published_value() -> None:
    three = definition(
        constituents=[
            {"series": "A-1", "weight": "1"},
            {"series": "B-1", "weight": "1"},
            {"series": "C-1", "weight": "1"},
        ],
        base_period={"start": "2024-01-01", "end": "2024-01-01"},
    )
    prices = {
        code: series(("2024-01-01", "3"), ("2024-01-02", "3")) for code in ("A-1", "B-1", "C-1")
    }
    point = compute(three, prices)[0]
    # Each constituent is 100 / 3 = 33.333... points; rounded separately they would add up to
    # 99.99. Largest remainder: equal remainders, so the first listed gets the missing 0.01.
    assert point.value == D("100.00")
    assert point.contributions == {"A-1": D("33.34"), "B-1": D("33.33"), "C-1": D("33.33")}


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
    seed=st.integers(0, 2**32),
    decimals=st.integers(0, 4),
)
def test_contributions_always_add_up(weights: list[int], seed: int, decimals: int) -> None:
    rng = random.Random(seed)
    codes = [f"K{number}" for number in range(len(weights))]
    index = definition(
        constituents=[
            {"series": code, "weight": weight} for code, weight in zip(codes, weights, strict=True)
        ],
        decimals=decimals,
    )
    days = [date(2024, 1, 1) + timedelta(days=offset) for offset in range(6)]
    prices = {
        code: [(day, D(rng.randint(1, 10**6)).scaleb(-rng.randint(0, 3))) for day in days]
        for code in codes
    }
    for point in compute(index, prices):
        assert sum(point.contributions.values()) == point.value
        assert point.value == point.value.quantize(D(1).scaleb(-decimals))


def test_a_caller_decimal_context_does_not_change_the_index() -> None:
    expected = compute(definition(), BASE_PRICES)
    with localcontext() as context:
        context.prec = 3
        assert compute(definition(), BASE_PRICES) == expected


def test_start_and_end_select_dates_but_not_the_base() -> None:
    whole = compute(definition(), BASE_PRICES)
    assert compute(definition(), BASE_PRICES, start=date(2024, 1, 3)) == whole[2:]
    assert compute(definition(), BASE_PRICES, end=date(2024, 1, 1)) == whole[:1]
    assert compute(definition(), BASE_PRICES, start=date(2030, 1, 1)) == []
    with pytest.raises(ValueError, match="end 2024-01-01 is before start 2024-01-03"):
        compute(definition(), BASE_PRICES, start=date(2024, 1, 3), end=date(2024, 1, 1))


def test_prices_before_the_base_period_are_indexed_too() -> None:
    later = definition(base_period={"start": "2024-01-03", "end": "2024-01-03"})
    points = by_date(compute(later, BASE_PRICES))
    # Base prices are the 2024-01-03 ones: copper 126, aluminium 45.
    # 2024-01-01: 100 × (0.75 × 100 / 126 + 0.25 × 50 / 45) = 59.523809... + 27.777... = 87.30
    assert points[date(2024, 1, 1)].value == D("87.30")
    assert points[date(2024, 1, 3)].value == D("100.00")


def test_unsorted_input_and_extra_codes_are_fine() -> None:
    shuffled = {code: list(reversed(quotes)) for code, quotes in BASE_PRICES.items()}
    shuffled["PB-LME"] = series(("2024-01-01", "2000"))
    assert compute(definition(), shuffled) == compute(definition(), BASE_PRICES)


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"CU-SPOT": BASE_PRICES["CU-SPOT"]}, "no prices given for constituent 'AL-LME'"),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-03", "45"))},
            "constituent 'AL-LME' has no prices in the base period 2024-01-01..2024-01-02",
        ),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "0"))},
            "constituent 'AL-LME' has a price of 0 on 2024-01-02",
        ),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "-1"))},
            "constituent 'AL-LME' has a price of -1 on 2024-01-02",
        ),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "NaN"))},
            "constituent 'AL-LME' has a price of NaN on 2024-01-02",
        ),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "Infinity"))},
            "constituent 'AL-LME' has a price of Infinity on 2024-01-02",
        ),
        (
            {**BASE_PRICES, "AL-LME": [(date(2024, 1, 1), D(50)), (date(2024, 1, 2), 50.5)]},
            "constituent 'AL-LME' has a float price on 2024-01-02; prices are Decimal",
        ),
        (
            {**BASE_PRICES, "AL-LME": series(("2024-01-01", "50"), ("2024-01-01", "51"))},
            "constituent 'AL-LME' has two prices on 2024-01-01",
        ),
    ],
)
def test_unusable_prices_are_refused_naming_the_constituent(prices: Prices, message: str) -> None:
    with pytest.raises(IndexDataError, match=message.replace("(", r"\(").replace(".", r"\.")):
        compute(definition(), prices)


# --- dates and carry-forward -----------------------------------------------------------------


def test_a_missing_price_is_carried_forward_up_to_five_days() -> None:
    prices: Prices = {
        "CU-SPOT": series(
            ("2024-01-01", "105"),
            ("2024-01-02", "105"),
            ("2024-01-03", "126"),
            ("2024-01-07", "126"),  # aluminium's last price (01-02) is 5 days old: carried
            ("2024-01-08", "126"),  # 6 days old: no index value
            ("2024-01-09", "126"),
        ),
        "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "50"), ("2024-01-09", "45")),
    }
    points = by_date(compute(definition(), prices))
    assert sorted(points) == [
        date(2024, 1, 1),
        date(2024, 1, 2),
        date(2024, 1, 3),
        date(2024, 1, 7),
        date(2024, 1, 9),
    ]
    # 2024-01-03: aluminium enters at its 01-02 price: 100 × (0.75 × 126 / 105 + 0.25) = 115.
    third = points[date(2024, 1, 3)]
    assert third.value == D("115.00")
    assert third.constituents_used == 1
    assert third.carried_forward == {"AL-LME": date(2024, 1, 2)}
    # Carried over several dates, the price keeps its own date: the window counts from it.
    assert points[date(2024, 1, 7)].carried_forward == {"AL-LME": date(2024, 1, 2)}
    assert points[date(2024, 1, 9)].value == D("112.50")
    assert points[date(2024, 1, 9)].carried_forward == {}


def test_dates_before_a_constituent_starts_trading_have_no_value() -> None:
    prices: Prices = {
        "CU-SPOT": series(("2023-12-20", "100"), ("2024-01-01", "105"), ("2024-01-02", "105")),
        "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "50")),
    }
    assert [point.date for point in compute(definition(), prices)] == [
        date(2024, 1, 1),
        date(2024, 1, 2),
    ]


def test_the_carry_forward_window_is_part_of_the_definition() -> None:
    prices: Prices = {
        "CU-SPOT": series(("2024-01-01", "105"), ("2024-01-02", "105"), ("2024-01-03", "126")),
        "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "50")),
    }
    strict = definition(carry_forward_days=0)
    assert [point.date for point in compute(strict, prices)] == [
        date(2024, 1, 1),
        date(2024, 1, 2),
    ]
    assert len(compute(definition(carry_forward_days=1), prices)) == 3


# --- chain-linked Laspeyres ------------------------------------------------------------------


def chained(*reweights: tuple[str, str, str]) -> IndexDefinition:
    return definition(
        formula="chain-laspeyres",
        reweights=[
            {"date": day, "weights": {"CU-SPOT": copper, "AL-LME": aluminium}}
            for day, copper, aluminium in reweights
        ],
    )


CHAIN_PRICES: Prices = {
    "CU-SPOT": series(
        ("2024-01-01", "100"),
        ("2024-01-02", "110"),
        ("2024-01-03", "126"),
        ("2024-01-04", "140"),
        ("2024-01-05", "135"),
    ),
    "AL-LME": series(
        ("2024-01-01", "50"),
        ("2024-01-02", "50"),
        ("2024-01-03", "45"),
        ("2024-01-04", "54"),
        ("2024-01-05", "60"),
    ),
}


def test_chain_linking_by_hand() -> None:
    points = by_date(compute(chained(("2024-01-03", "1", "1")), CHAIN_PRICES))
    # Up to and including the link date the old weights rule: 2024-01-03 = 112.50 as before.
    assert points[date(2024, 1, 3)].value == D("112.50")
    # From the link, equal weights relative to the link date's prices (126 and 45):
    # 2024-01-04: 112.5 × (0.5 × 140 / 126 + 0.5 × 54 / 45) = 112.5 × (0.5555... + 0.6)
    #           = 62.5 + 67.5 = 130.00
    fourth = points[date(2024, 1, 4)]
    assert fourth.value == D("130.00")
    assert fourth.contributions == {"CU-SPOT": D("62.50"), "AL-LME": D("67.50")}
    # 2024-01-05: 112.5 × (0.5 × 135 / 126 + 0.5 × 60 / 45) = 60.267857... + 75 -> 135.27
    assert points[date(2024, 1, 5)].value == D("135.27")


def test_the_level_is_continuous_at_the_link() -> None:
    fixed = by_date(compute(definition(), CHAIN_PRICES))
    linked = by_date(compute(chained(("2024-01-03", "1", "4")), CHAIN_PRICES))
    link = date(2024, 1, 3)
    # Before and at the link the chained index is the old basket's; no jump on the link date.
    for day in (date(2024, 1, 1), date(2024, 1, 2), link):
        assert linked[day].value == fixed[day].value
    # On the link date the contributions are already the new basket's (1 : 4 of 112.50).
    assert linked[link].contributions == {"CU-SPOT": D("22.50"), "AL-LME": D("90.00")}
    # After it, the index moves with the new weights only: 2024-01-04 =
    # 112.5 × (0.2 × 140 / 126 + 0.8 × 54 / 45) = 25 + 108 = 133.00
    assert linked[date(2024, 1, 4)].value == D("133.00")


def test_chaining_equals_the_daily_chain_formula_with_price_updated_weights() -> None:
    # METHODS.md: I_t = I_t−1 · Σ w_i,t−1 · (p_i,t / p_i,t−1), with w_i,t−1 each constituent's
    # share of the index on t−1; the shares drift with prices and reset to the new weights on
    # the link date. Recomputed here date by date, independently of the engine.
    quotes = {code: dict(values) for code, values in CHAIN_PRICES.items()}
    days = sorted(quotes["CU-SPOT"])
    link = date(2024, 1, 3)
    expected: list[Decimal] = []
    with localcontext() as context:
        context.prec = 50
        base = {"CU-SPOT": D(105), "AL-LME": D(50)}
        shares = {"CU-SPOT": D("0.75"), "AL-LME": D("0.25")}
        level = 100 * sum(
            (shares[code] * quotes[code][days[0]] / base[code] for code in shares), D(0)
        )
        shares = _drifted(shares, {code: quotes[code][days[0]] / base[code] for code in shares})
        expected.append(level)
        for before, day in itertools.pairwise(days):
            relatives = {code: quotes[code][day] / quotes[code][before] for code in shares}
            level *= sum((shares[code] * relatives[code] for code in shares), D(0))
            expected.append(level)
            shares = _drifted(shares, relatives)
            if day == link:
                shares = {"CU-SPOT": D("0.5"), "AL-LME": D("0.5")}
    points = compute(chained(("2024-01-03", "1", "1")), CHAIN_PRICES)
    assert [point.value for point in points] == [
        value.quantize(CENT, ROUND_HALF_UP) for value in expected
    ]


def _drifted(shares: dict[str, Decimal], relatives: dict[str, Decimal]) -> dict[str, Decimal]:
    total = sum((shares[code] * relatives[code] for code in shares), D(0))
    return {code: shares[code] * relatives[code] / total for code in shares}


def test_chain_without_reweights_is_the_fixed_weight_index() -> None:
    assert compute(chained(), CHAIN_PRICES) == compute(definition(), CHAIN_PRICES)


def test_a_reweight_between_index_dates_links_at_the_next_one() -> None:
    prices = {code: quotes[:2] + quotes[3:] for code, quotes in CHAIN_PRICES.items()}
    on_holiday = by_date(compute(chained(("2024-01-03", "1", "1")), prices))
    # No prices on 2024-01-03: the link is 2024-01-04 at the old basket's level there,
    # 100 × (0.75 × 140 / 105 + 0.25 × 54 / 50) = 100 + 27 = 127.00, and its prices.
    assert on_holiday[date(2024, 1, 4)].value == D("127.00")
    # 2024-01-05: 127 × (0.5 × 135 / 140 + 0.5 × 60 / 54) = 61.232142... + 70.555... = 131.79
    assert on_holiday[date(2024, 1, 5)].value == D("131.79")


def test_two_reweights_before_one_date_apply_the_last() -> None:
    twice = chained(("2024-01-03", "9", "1"), ("2024-01-04", "1", "1"))
    prices = {code: quotes[:2] + quotes[4:] for code, quotes in CHAIN_PRICES.items()}
    once = chained(("2024-01-04", "1", "1"))
    assert compute(twice, prices) == compute(once, prices)


def test_a_start_after_the_link_gives_the_same_values() -> None:
    index = chained(("2024-01-03", "1", "1"))
    whole = compute(index, CHAIN_PRICES)
    assert compute(index, CHAIN_PRICES, start=date(2024, 1, 4)) == whole[3:]


def test_a_point_is_json_safe() -> None:
    prices: Prices = {
        "CU-SPOT": series(("2024-01-01", "100"), ("2024-01-02", "110"), ("2024-01-03", "126")),
        "AL-LME": series(("2024-01-01", "50"), ("2024-01-02", "50")),
    }
    point = compute(definition(), prices)[-1]
    assert json.loads(json.dumps(point.to_dict())) == {
        "date": "2024-01-03",
        "value": "115.00",
        "contributions": {"CU-SPOT": "90.00", "AL-LME": "25.00"},
        "constituents_used": 1,
        "carried_forward": {"AL-LME": "2024-01-02"},
    }


# --- a real index: World Bank monthly prices -------------------------------------------------

COLUMNS = {
    "WB-COPPER": "copper_usd_per_mt",
    "WB-ALUMINUM": "aluminum_usd_per_mt",
    "WB-NICKEL": "nickel_usd_per_mt",
    "WB-ZINC": "zinc_usd_per_mt",
    "WB-LEAD": "lead_usd_per_mt",
    "WB-TIN": "tin_usd_per_mt",
}


def world_bank_prices() -> Prices:
    text = (
        resources.files("metalwire.demo")
        .joinpath("data/real/worldbank_pinksheet_metals_monthly_usd.csv")
        .read_text("utf-8")
    )
    prices: Prices = {code: [] for code in COLUMNS}
    for row in csv.DictReader(text.splitlines()):
        year, month = (int(part) for part in row["month"].split("-"))
        for code, column in COLUMNS.items():
            if row[column]:
                prices[code].append((date(year, month, 1), D(row[column])))
    return prices


def test_the_real_metals_index_over_world_bank_prices() -> None:
    index = packaged_definition("real_metals_index")
    assert set(index.codes) == set(COLUMNS)
    prices = world_bank_prices()
    points = by_date(compute(index, prices))
    assert len(points) == len(prices["WB-COPPER"])  # every month, 1960 to the last one

    # Recomputed independently: Σ w_i · p_i,t / p_i,0 with w_i = weight / 100 and p_i,0 the
    # metal's mean monthly price over 2010.
    quotes = {code: dict(values) for code, values in prices.items()}
    weights = {
        "WB-COPPER": 45,
        "WB-ALUMINUM": 28,
        "WB-NICKEL": 10,
        "WB-ZINC": 9,
        "WB-LEAD": 6,
        "WB-TIN": 2,
    }
    year_2010 = [date(2010, month, 1) for month in range(1, 13)]
    with localcontext() as context:
        context.prec = 40
        base = {code: sum((quotes[code][day] for day in year_2010), D(0)) / 12 for code in weights}

        def by_hand(day: date) -> Decimal:
            return 100 * sum(
                (
                    D(weight) / 100 * quotes[code][day] / base[code]
                    for code, weight in weights.items()
                ),
                D(0),
            )

        for day in (date(2008, 7, 1), date(2020, 4, 1), date(2024, 5, 1)):
            assert points[day].value == by_hand(day).quantize(CENT, ROUND_HALF_UP)
            copper = 100 * D("0.45") * quotes["WB-COPPER"][day] / base["WB-COPPER"]
            assert abs(points[day].contributions["WB-COPPER"] - copper) <= D("0.01")

        # The 2010 average of the index is the base value: each month is off by at most half a
        # cent from rounding, so the mean of the published values is within half a cent of 100.
        mean_2010 = sum((points[day].value for day in year_2010), D(0)) / 12
        assert abs(mean_2010 - 100) <= D("0.005")
        assert abs(sum((by_hand(day) for day in year_2010), D(0)) / 12 - 100) < D("1e-30")

    # Base metals more than doubled from 2002 to mid-2008, and fell in the crisis that followed.
    assert points[date(2008, 5, 1)].value > 2 * points[date(2002, 1, 1)].value
    assert points[date(2008, 12, 1)].value < points[date(2008, 5, 1)].value
