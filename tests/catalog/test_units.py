from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metalwire.catalog.units import (
    TROY_OUNCES_PER_KG,
    UnitError,
    cny_per_kg_to_usd_per_oz,
    convert_price,
    convert_quantity,
    price_unit_label,
    round_price,
    usd_per_oz_to_cny_per_kg,
)


def test_one_kilogram_is_the_trades_32_1507466_troy_ounces() -> None:
    assert convert_quantity(Decimal(1), "kg", "oz") == Decimal("32.1507466")
    assert convert_quantity(TROY_OUNCES_PER_KG, "oz", "kg") == Decimal(1)


def test_mass_conversions() -> None:
    assert convert_quantity(Decimal(2), "mt", "kg") == Decimal(2000)
    assert convert_quantity(Decimal(1), "lb", "g") == Decimal("453.59237")
    assert convert_quantity(Decimal(1000), "g", "kg") == Decimal(1)


def test_price_per_kg_to_price_per_gram_and_per_tonne() -> None:
    assert convert_price(Decimal(7850), "kg", "g") == Decimal("7.85")
    assert convert_price(Decimal(7850), "kg", "mt") == Decimal(7850000)


def test_silver_yuan_per_kg_to_usd_per_oz_and_back() -> None:
    # 7,850 yuan/kg at 7.10 CNY per USD is 34.39 USD/oz: 7850 / 7.10 / 32.1507466
    usd = cny_per_kg_to_usd_per_oz(Decimal(7850), Decimal("7.10"))
    assert round_price(usd, 2) == Decimal("34.39")
    back = usd_per_oz_to_cny_per_kg(usd, Decimal("7.10"))
    assert round_price(back, 6) == Decimal("7850.000000")


def test_incompatible_and_unknown_units_are_refused() -> None:
    with pytest.raises(UnitError, match="cannot convert"):
        convert_quantity(Decimal(1), "kg", "Wh")
    with pytest.raises(UnitError, match="unknown unit 'stone'"):
        convert_quantity(Decimal(1), "stone", "kg")
    with pytest.raises(ValueError, match="FX rate"):
        cny_per_kg_to_usd_per_oz(Decimal(1), Decimal(0))


def test_rounding_is_half_up_to_the_series_decimals() -> None:
    assert round_price(Decimal("208.605"), 2) == Decimal("208.61")
    assert round_price(Decimal("7850.5"), 0) == Decimal("7851")
    assert round_price(Decimal("-0.5"), 0) == Decimal("-1")  # away from zero, as the trade does
    assert str(round_price(Decimal("34.1"), 3)) == "34.100"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6), st.integers(0, 6))
def test_rounding_is_stable(value: Decimal, decimals: int) -> None:
    once = round_price(value, decimals)
    assert round_price(once, decimals) == once
    assert abs(once - value) <= Decimal(1).scaleb(-decimals) / 2


def test_unit_labels_in_both_languages() -> None:
    assert price_unit_label("CNY", "kg") == "yuan/kg"
    assert price_unit_label("CNY", "mt", "zh") == "元/吨"
    assert price_unit_label("USD", "oz") == "USD/oz"
    assert price_unit_label("", "pt") == "pt"
