"""Counting the SQL statements a request issues on the app's engine: an N+1 read shows as a count
that grows with the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


class StatementCounter:
    """Statements sent to the database while counting (the driver's cursor executions)."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def _seen(self, *args: Any) -> None:
        self.count += 1
        self.statements.append(str(args[2]))  # (conn, cursor, statement, parameters, ...)


@contextmanager
def counting_statements(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter._seen)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter._seen)
