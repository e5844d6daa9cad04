"""Assessment rules per price family, read from the packaged methodology.yaml.

A series names its price family (``methodology: spot-prices``); the family sets the engine's
Rule and the submission cut-off. A family the file does not list is assessed under ``default``,
so a new family starts from the house rule until its own methodology is published.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from metalwire.pricing.engine import Rule

DEFAULT_FAMILY = "default"
FAMILY_PATTERN = r"^[a-z0-9][a-z0-9\-]{1,63}$"


class Licence(BaseModel):
    """The terms a licensed (partner) family's values are published under: who licenses them,
    the terms shown with every value, and whether a reader's export may carry them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    licensor: str = Field(min_length=1)
    terms_en: str = Field(min_length=1)
    terms_zh: str = Field(min_length=1)
    redistribution: bool = False

    def terms(self, lang: str) -> str:
        return self.terms_zh if lang == "zh" else self.terms_en


class FamilyMethodology(BaseModel):
    """One price family's rule, titles and cut-off; a licensed family (``licence``) is not
    assessed: its values are the licensor's, entered as delivered (pricing/partner.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title_en: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    min_deals: int = Field(ge=1)
    mad_k: Decimal = Field(gt=0)
    mad_floor: Decimal = Field(ge=0, lt=1)
    min_volume: Decimal = Field(ge=0)
    cutoff_minutes_before_release: int = Field(ge=0, le=24 * 60)
    licence: Licence | None = None

    @property
    def rule(self) -> Rule:
        return Rule(
            min_deals=self.min_deals,
            mad_k=self.mad_k,
            min_volume=self.min_volume,
            mad_floor=self.mad_floor,
        )

    def cutoff(self, release_at: datetime) -> datetime:
        """The last moment a submission counts for a release at ``release_at`` (aware)."""
        if release_at.utcoffset() is None:
            raise ValueError("release time must be timezone-aware")
        return release_at - timedelta(minutes=self.cutoff_minutes_before_release)


class MethodologyData(BaseModel):
    """The whole methodology file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    families: dict[str, FamilyMethodology]

    @field_validator("families")
    @classmethod
    def _default_and_slugs(
        cls, families: dict[str, FamilyMethodology]
    ) -> dict[str, FamilyMethodology]:
        if DEFAULT_FAMILY not in families:
            raise ValueError(f"the methodology needs a {DEFAULT_FAMILY!r} family")
        malformed = sorted(name for name in families if not re.fullmatch(FAMILY_PATTERN, name))
        if malformed:
            raise ValueError(f"family names must be slugs like 'spot-prices': {malformed}")
        return families


def parse_methodology(text: str) -> MethodologyData:
    """Validate methodology YAML; raises pydantic.ValidationError naming the bad field."""
    return MethodologyData.model_validate(yaml.safe_load(text))


@lru_cache(maxsize=1)
def load_methodology() -> MethodologyData:
    text = resources.files("metalwire.pricing").joinpath("data/methodology.yaml").read_text("utf-8")
    return parse_methodology(text)


def methodology_for(family: str) -> FamilyMethodology:
    """The family's methodology, or the default one for a family the file does not list."""
    families = load_methodology().families
    return families.get(family, families[DEFAULT_FAMILY])


def rule_for(family: str) -> Rule:
    return methodology_for(family).rule


def licence_of(family: str) -> Licence | None:
    """The licence a family's values are published under; None for metalwire's own."""
    return methodology_for(family).licence


def licensed_families() -> list[str]:
    """The families whose values are licensed, not assessed (sorted)."""
    return sorted(name for name, f in load_methodology().families.items() if f.licence)


def may_redistribute(family: str) -> bool:
    """Whether an export to a reader may carry the family's values."""
    licence = licence_of(family)
    return licence is None or licence.redistribution
