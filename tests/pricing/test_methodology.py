"""The packaged methodology file: one rule per price family, a default for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources

import pytest
import yaml
from pydantic import ValidationError

from metalwire.pricing.engine import Rule
from metalwire.pricing.methodology import (
    DEFAULT_FAMILY,
    load_methodology,
    methodology_for,
    parse_methodology,
    rule_for,
)

FAMILIES = (
    "spot-prices",
    "premiums",
    "futures",
    "indices",
    "iron-ore",
    "new-energy",
    "partner-prices",
    "ferrous",
    "scrap",
    "minor-metals",
    "precious-metals",
)

VALID = """
families:
  default:
    title_en: Default
    title_zh: 默认
    min_deals: 3
    mad_k: 3
    mad_floor: "0.001"
    min_volume: 0
    cutoff_minutes_before_release: 30
"""


def test_every_price_family_has_a_methodology_with_titles_in_both_languages() -> None:
    families = load_methodology().families
    for family in (DEFAULT_FAMILY, *FAMILIES):
        assert family in families, family
        assert families[family].title_en and families[family].title_zh


def test_every_family_a_demo_series_names_is_configured() -> None:
    text = resources.files("metalwire.demo").joinpath("data/series.yaml").read_text("utf-8")
    named = {series["methodology"] for series in yaml.safe_load(text)["series"]}
    assert named <= set(load_methodology().families)


def test_the_default_family_is_the_house_rule() -> None:
    assert rule_for(DEFAULT_FAMILY) == Rule()


def test_an_unknown_family_is_assessed_under_the_default() -> None:
    assert rule_for("rare-earths-2030") == rule_for(DEFAULT_FAMILY)
    assert methodology_for("rare-earths-2030").title_en == "Default assessment rule"


def test_premiums_need_a_minimum_lot_of_100_t() -> None:
    assert rule_for("premiums").min_volume == Decimal(100)


def test_a_rule_is_built_from_exact_decimals() -> None:
    rule = rule_for("spot-prices")
    assert isinstance(rule.mad_k, Decimal)
    assert rule.mad_floor == Decimal("0.001")


def test_the_cut_off_is_the_release_time_minus_the_familys_offset() -> None:
    release = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)  # IODEX 17:30 Singapore
    assert methodology_for("iron-ore").cutoff(release) == datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        methodology_for("iron-ore").cutoff(datetime(2025, 1, 6, 17, 30))


def test_a_methodology_without_a_default_family_is_refused() -> None:
    with pytest.raises(ValidationError, match="default"):
        parse_methodology(VALID.replace("default:", "spot-prices:"))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("min_deals: 3", "min_deals: 0"),
        ("mad_k: 3", "mad_k: 0"),
        ("min_volume: 0", "min_volume: -5"),
        ("cutoff_minutes_before_release: 30", "cutoff_minutes_before_release: -1"),
        ('mad_floor: "0.001"', 'mad_floor: "1.5"'),
    ],
)
def test_nonsense_parameters_are_refused(field: str, bad: str) -> None:
    assert parse_methodology(VALID).families[DEFAULT_FAMILY].rule == Rule()
    with pytest.raises(ValidationError):
        parse_methodology(VALID.replace(field, bad))


def test_unknown_keys_and_malformed_family_names_are_refused() -> None:
    with pytest.raises(ValidationError, match="weight"):
        parse_methodology(VALID + "    weight: 2\n")
    with pytest.raises(ValidationError, match="slugs"):
        parse_methodology(VALID + VALID.split("families:\n")[1].replace("default", "Spot Prices"))
