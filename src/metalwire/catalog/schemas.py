"""Pydantic shapes of the catalog: the packaged data file, series definitions, API output."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from metalwire.catalog.calendars import load_calendars
from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.models import SeriesKind, SeriesStatus, Tier
from metalwire.catalog.units import KNOWN_CURRENCIES, KNOWN_UNITS

SLUG_PATTERN = r"^[a-z0-9][a-z0-9\-]{1,63}$"


class _CatalogNode(BaseModel):
    """A group, entry or commodity of the packaged catalog file: its code and its names in
    both languages, nothing else."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=SLUG_PATTERN)
    name_en: str
    name_zh: str


class CommoditySpec(_CatalogNode):
    code: str = Field(pattern=CODE_PATTERN)  # a commodity's code is an upper-case price code
    spec: str = ""


class EntrySpec(_CatalogNode):
    commodities: list[CommoditySpec] = Field(min_length=1)


class GroupSpec(_CatalogNode):
    entries: list[EntrySpec] = Field(min_length=1)


class CatalogData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups: list[GroupSpec]


class SeriesDefinition(BaseModel):
    """Everything that defines a price series; the same shape for data files, CLI and API."""

    model_config = ConfigDict(extra="ignore")

    code: str = Field(pattern=CODE_PATTERN, examples=["AG-INGOT-CN-SPOT"])
    commodity: str = Field(description="Commodity code from the catalog", examples=["AG-1"])
    name_en: str
    name_zh: str
    kind: SeriesKind
    unit: str = Field(description="Unit the price is quoted per", examples=["kg"])
    currency: str = Field(examples=["CNY"])
    decimals: int = Field(ge=0, le=6)
    basis: str = ""
    timezone: str = Field(examples=["Asia/Shanghai"])
    release_time: dt.time = Field(examples=["11:30"])
    calendar: str = Field(examples=["CN"])
    tier: Tier = Tier.PREMIUM
    status: SeriesStatus = SeriesStatus.ACTIVE
    methodology: str = Field(pattern=SLUG_PATTERN, examples=["spot-prices"])
    vat_inclusive: bool = False
    source: str = "metalwire"
    description: str = ""

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, value: str) -> str:
        if value not in KNOWN_UNITS:
            raise ValueError(f"unknown unit {value!r}")
        return value

    @field_validator("currency")
    @classmethod
    def _currency_known(cls, value: str) -> str:
        if value not in KNOWN_CURRENCIES:
            raise ValueError(f"unknown currency {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @field_validator("calendar")
    @classmethod
    def _calendar_known(cls, value: str) -> str:
        if value not in load_calendars():
            raise ValueError(f"unknown market calendar {value!r}")
        return value

    @field_validator("release_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value):
            raise ValueError("release_time must be HH:MM")
        if isinstance(value, int):  # YAML 1.1 reads 11:30 as sexagesimal 690
            return dt.time(value // 60, value % 60)
        return value


class LicenceOut(BaseModel):
    """The terms a licensed (partner) series is published under."""

    licensor: str = Field(examples=["MMi"])
    terms: str
    redistribution: bool = Field(description="Whether exports may carry the values")


class SeriesOut(BaseModel):
    """A price series as the API shows it."""

    code: str = Field(examples=["AG-INGOT-CN-SPOT"])
    name: str = Field(examples=["Silver ingot 1# (99.99%) Shanghai spot"])
    name_en: str
    name_zh: str
    group: str = Field(examples=["precious-metals"])
    entry: str = Field(examples=["silver"])
    commodity: str = Field(examples=["AG-1"])
    kind: SeriesKind
    unit: str = Field(examples=["kg"])
    currency: str = Field(examples=["CNY"])
    unit_label: str = Field(examples=["yuan/kg"])
    decimals: int
    basis: str
    timezone: str
    release_time: str = Field(examples=["11:30"])
    calendar: str
    tier: Tier
    status: SeriesStatus
    methodology: str
    methodology_url: str
    vat_inclusive: bool
    source: str
    licence: LicenceOut | None = Field(
        default=None, description="For a licensed (partner) series: its licensor and terms"
    )


class CommodityOut(BaseModel):
    code: str
    name: str
    spec: str


class EntryOut(BaseModel):
    code: str = Field(examples=["silver"])
    name: str = Field(examples=["Silver"])
    name_en: str
    name_zh: str
    commodities: list[CommodityOut]
    series_count: int


class GroupOut(BaseModel):
    code: str = Field(examples=["precious-metals"])
    name: str = Field(examples=["Precious Metals"])
    name_en: str
    name_zh: str
    entries: list[EntryOut]


class CatalogOut(BaseModel):
    lang: str
    groups: list[GroupOut]
