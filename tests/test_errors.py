"""The one error type: its parts travel with it, its type fixes the status."""

from __future__ import annotations

import pytest

from metalwire.errors import Conflict, FourEyes, InvalidInput, Located, NotFound, ServiceError


def test_a_located_problem_names_what_is_known_in_reading_order() -> None:
    assert str(Located("not a number", "prices.csv", 3, "mid")) == (
        "prices.csv: row 3: mid: not a number"
    )
    assert str(Located("not a number", row=3, field="mid")) == "row 3: mid: not a number"
    assert str(Located("empty file", "prices.csv")) == "prices.csv: empty file"
    assert str(Located("no such series")) == "no such series"


def test_an_error_carries_every_problem_and_reads_as_all_of_them() -> None:
    error = InvalidInput(
        problems=[Located("not a number", "a.csv", 2, "mid"), Located("missing", "a.csv", 4, "low")]
    )
    assert [p.row for p in error.problems] == [2, 4]
    assert str(error) == "a.csv: row 2: mid: not a number; a.csv: row 4: low: missing"
    single = InvalidInput("must be positive", field="capacity")
    assert single.problems == (Located("must be positive", field="capacity"),)
    assert isinstance(single, ValueError)  # callers catching ValueError keep working
    with pytest.raises(TypeError):
        ServiceError()


def test_the_type_fixes_status_and_code() -> None:
    assert (InvalidInput.status, InvalidInput.code) == (422, "invalid-parameter")
    assert (NotFound.status, NotFound.code) == (404, "not-found")
    assert (Conflict.status, Conflict.code) == (409, "conflict")
    assert (FourEyes.status, FourEyes.code) == (409, "four-eyes")
    assert issubclass(FourEyes, Conflict)
