"""Iron ore value-in-use normalization to 62% Fe, checked against arithmetic done by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from metalwire.markets.normalization import (
    BASE_AL2O3,
    BASE_FE,
    BASE_SIO2,
    DEFAULT_COEFFICIENTS,
    adjustment_for,
    normalize_to_62,
)
from metalwire.pricing.engine import Evidence, Method, Rule, SubmissionKind, assess

D = Decimal


def test_the_base_specification_is_the_methods() -> None:
    assert (D(62), D("4.0"), D("2.3")) == (BASE_FE, BASE_SIO2, BASE_AL2O3)
    assert DEFAULT_COEFFICIENTS.fe_viu == D("3.00")


def test_a_cargo_at_the_base_specification_is_not_adjusted() -> None:
    result = normalize_to_62(D("105.40"), D(62), D("4.0"), D("2.3"))
    assert result.adjustment == D("0.00")
    assert str(result.fe_adjustment) == "0.00"  # −(62 − 62) × 3 is shown as 0, never −0
    assert result.value62 == D("105.40")


def test_a_high_grade_cargo_is_brought_down() -> None:
    result = normalize_to_62(D("120.00"), D(65), D("3.5"), D("2.0"))
    # Fe: −(65 − 62) × 3.00 = −9.00. Silica 3.5 and alumina 2.0 are below base: no penalty,
    # and no credit either.
    assert result.fe_adjustment == D("-9.00")
    assert result.sio2_adjustment == D("0.00")
    assert result.al2o3_adjustment == D("0.00")
    assert result.adjustment == D("-9.00")
    # 120.00 − 9.00 = 111.00
    assert result.value62 == D("111.00")


def test_a_low_grade_high_silica_cargo_is_brought_up() -> None:
    result = normalize_to_62(D("95.25"), D(58), D("5.5"), D("2.8"))
    # Fe: −(58 − 62) × 3.00 = +12.00; silica (5.5 − 4.0) × 1.50 = +2.25;
    # alumina (2.8 − 2.3) × 3.00 = +1.50; together +15.75.
    assert result.fe_adjustment == D("12.00")
    assert result.sio2_adjustment == D("2.25")
    assert result.al2o3_adjustment == D("1.50")
    assert result.adjustment == D("15.75")
    # 95.25 + 15.75 = 111.00
    assert result.value62 == D("111.00")


def test_custom_coefficients() -> None:
    result = normalize_to_62(
        D("98.00"),
        D("60.5"),
        D("6.2"),
        D("2.3"),
        fe_viu=D("4.20"),
        sio2_penalty=D("2.40"),
        al2o3_penalty=D("5.00"),
    )
    # Fe: −(60.5 − 62) × 4.20 = +6.30; silica (6.2 − 4.0) × 2.40 = +5.28; alumina at base: 0.
    # 98.00 + 6.30 + 5.28 = 109.58
    assert result.adjustment == D("11.58")
    assert result.value62 == D("109.58")
    assert (result.fe_viu, result.sio2_penalty, result.al2o3_penalty) == (
        D("4.20"),
        D("2.40"),
        D("5.00"),
    )


def test_rounding_is_half_up_once() -> None:
    # Fe 62.5 at 2.01 per point: −0.5 × 2.01 = −1.005, a tie: half-up goes away from zero.
    result = normalize_to_62(D("100.00"), D("62.5"), D("4.0"), D("2.3"), fe_viu=D("2.01"))
    assert result.fe_adjustment == D("-1.01")
    # value62 is the price plus the published adjustment, as the assessment engine adds it:
    # 100.00 − 1.01 = 98.99 (rounding 100 − 1.005 = 98.995 would give 99.00).
    assert result.value62 == D("98.99")
    assert result.value62 == result.price_usd_dmt + adjustment_for(
        D("62.5"), D("4.0"), D("2.3"), fe_viu=D("2.01")
    )
    # Each figure is rounded from its own exact value, so the shown parts may miss the shown
    # total: Fe −0.005 × 1 = −0.005 -> −0.01, silica 0.004 × 1 = 0.004 -> 0.00, but the total
    # −0.001 -> 0.00 and value62 = 99.999 -> 100.00.
    apart = normalize_to_62(
        D("100.00"), D("62.005"), D("4.004"), D("2.3"), fe_viu=D(1), sio2_penalty=D(1)
    )
    assert (apart.fe_adjustment, apart.sio2_adjustment, apart.adjustment) == (
        D("-0.01"),
        D("0.00"),
        D("0.00"),
    )
    assert apart.value62 == D("100.00")


def test_adjustment_for_is_what_a_submission_carries() -> None:
    assert adjustment_for(D(65), D("3.5"), D("2.0")) == D("-9.00")
    assert adjustment_for(D(58), D("5.5"), D("2.8")) == D("15.75")
    for price, fe, sio2, al2o3 in [
        (D("120.00"), D(65), D("3.5"), D("2.0")),
        (D("95.25"), D(58), D("5.5"), D("2.8")),
        (D("101.10"), D("61.37"), D("4.61"), D("2.55")),
    ]:
        normalized = normalize_to_62(price, fe, sio2, al2o3)
        assert price + adjustment_for(fe, sio2, al2o3) == normalized.value62
        assert adjustment_for(fe, sio2, al2o3) == normalized.adjustment


def test_the_assessment_engine_adds_the_adjustment() -> None:
    received = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    cargoes = [
        (1, D("120.00"), D(65), D("3.5"), D("2.0")),  # 62% equivalent 111.00
        (2, D("95.25"), D(58), D("5.5"), D("2.8")),  # 62% equivalent 111.00
        (3, D("111.00"), D(62), D("4.0"), D("2.3")),  # at base
    ]
    deals = [
        Evidence(
            id=number,
            kind=SubmissionKind.DEAL,
            price=price,
            low=None,
            high=None,
            volume=D(170000),
            contributor=f"trader-{number}",
            received_at=received,
            adjustment=adjustment_for(fe, sio2, al2o3),
        )
        for number, price, fe, sio2, al2o3 in cargoes
    ]
    result = assess(deals, Rule(), decimals=2, volume_unit="dmt")
    assert result.method is Method.TRANSACTION
    assert (result.low, result.mid, result.high) == (D("111.00"), D("111.00"), D("111.00"))


@pytest.mark.parametrize(
    ("analysis", "coefficients", "message"),
    [
        ((D(0), D(4), D(2)), {}, "fe is a percentage above 0 and at most 100, not 0"),
        ((D(101), D(4), D(2)), {}, "fe is a percentage above 0"),
        ((D(62), D(-1), D(2)), {}, "sio2 is a percentage from 0 to 100, not -1"),
        ((D(62), D(4), D(101)), {}, "al2o3 is a percentage from 0 to 100"),
        ((D(70), D(20), D(20)), {}, r"fe \+ sio2 \+ al2o3 is 110%, above 100%"),
        ((D(62), D(4), D(2)), {"fe_viu": D(-1)}, "fe_viu must be >= 0, not -1"),
        ((D(62), D(4), D(2)), {"al2o3_penalty": D(-1)}, "al2o3_penalty must be >= 0"),
    ],
)
def test_impossible_analyses_and_coefficients_are_refused(
    analysis: tuple[Decimal, Decimal, Decimal], coefficients: dict[str, Any], message: str
) -> None:
    fe, sio2, al2o3 = analysis
    with pytest.raises(ValueError, match=message):
        normalize_to_62(D(100), fe, sio2, al2o3, **coefficients)
    with pytest.raises(ValueError, match=message):
        adjustment_for(fe, sio2, al2o3, **coefficients)


def test_the_price_must_be_positive() -> None:
    with pytest.raises(ValueError, match="price_usd_dmt must be positive"):
        normalize_to_62(D(0), D(62), D(4), D("2.3"))


def test_to_dict_is_json_safe_and_complete() -> None:
    result = normalize_to_62(D("95.25"), D(58), D("5.5"), D("2.8"))
    assert json.loads(json.dumps(result.to_dict())) == {
        "price_usd_dmt": "95.25",
        "fe": "58",
        "sio2": "5.5",
        "al2o3": "2.8",
        "fe_viu": "3.00",
        "sio2_penalty": "1.50",
        "al2o3_penalty": "3.00",
        "fe_adjustment": "12.00",
        "sio2_adjustment": "2.25",
        "al2o3_adjustment": "1.50",
        "adjustment": "15.75",
        "value62": "111.00",
        "decimals": 2,
    }
