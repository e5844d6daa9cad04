"""The project's one error type: what was wrong, where, and what kind of refusal it is.

Every refusal of bad input or of a forbidden step is a ``ServiceError``: the API renders it as
problem+json (its status and code fixed by its type, ``invalid_params`` from its locations), the
CLI prints one line per location, the desk's forms show each message beside its field. Nobody
parses a message back into parts or picks a status by the words in it: the parts travel with the
error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Located:
    """One thing wrong, and where: a file, a row as the user counts them (the header is row 1),
    a field. Each part is optional: a message about a whole request has none."""

    message: str
    file: str | None = None
    row: int | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        """``file: row 3: mid`` — the parts that are known, in the order a reader looks."""
        parts = [
            part
            for part in (self.file, None if self.row is None else f"row {self.row}", self.field)
            if part
        ]
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message


class ServiceError(ValueError):
    """Bad input or a step the rules refuse. Subclasses fix the HTTP status and the problem
    code; one error may carry several located problems (an import names every bad row)."""

    status: ClassVar[int] = 422
    code: ClassVar[str] = "invalid-parameter"

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        problems: Sequence[Located] = (),
    ) -> None:
        located = list(problems)
        if message is not None:
            located.insert(0, Located(message, file, row, field))
        if not located:
            raise TypeError("a ServiceError needs a message or located problems")
        self.problems: tuple[Located, ...] = tuple(located)
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(ServiceError):
    """A value, row or file that cannot be accepted as given."""


class NotFound(ServiceError):
    status = 404
    code = "not-found"


class Conflict(ServiceError):
    """Well-formed, but refused by the state of things (a duplicate, a step out of order)."""

    status = 409
    code = "conflict"


class FourEyes(Conflict):
    """The second pair of eyes must be another person's: an assessor cannot approve their own
    assessment."""

    code = "four-eyes"
