"""The JSON form of the records a calculation returns (arbitrage, assessment evidence, survey
statistics, ore normalization, generated drafts).

Pure code: no database, no web. Every such record is a frozen dataclass that explains a
published figure; its JSON keeps the exact digits, so decimals are strings, never floats.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar


class JsonRecord:
    """One ``to_dict`` for every calculation record, so they all serialize the same way: each
    field by ``json_value``, in the dataclass's order."""

    __slots__ = ()
    if TYPE_CHECKING:
        # Declared for mypy only: ``fields`` takes dataclass instances, as every subclass is.
        __dataclass_fields__: ClassVar[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {field.name: json_value(getattr(self, field.name)) for field in fields(self)}


def json_value(value: Any) -> Any:
    """A value JSON-safe: decimals as strings, a record (anything with ``to_dict``) as its
    mapping, dates in ISO form, enums as their labels, tuples and lists as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    return value
