"""Constants of the code written into SQL text rather than bound as parameters."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, String, literal_column

PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def written_constant(value: str) -> ColumnElement[str]:
    """A constant of the code (a plan's code, an audit event's kind) in the SQL itself.

    PostgreSQL prepares a statement it runs often and then plans it once for any values; for
    "newest audit event of a kind" that generic plan walked the whole trail backwards (85 ms
    instead of 0.05), so these are not bound. Not ``literal(..., literal_execute=True)``
    either: that renders the value into the SQL again on every execution (the page stamp took
    115 us through Core on SQLite with it, 73 us without). Only plain names are accepted, so
    nothing needs quoting.
    """
    if not PLAIN_NAME.fullmatch(value):
        raise ValueError(f"not a plain name: {value!r}")
    return literal_column(f"'{value}'", String)
