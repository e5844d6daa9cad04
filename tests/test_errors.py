"""The one error type: its parts travel with it, its type fixes the status."""

from __future__ import annotations

import importlib

import pytest
import typer
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metalwire.cli.context import refuse
from metalwire.errors import Conflict, FourEyes, InvalidInput, Located, NotFound, ServiceError
from metalwire.web.pages.desk.forms import FormFailure
from metalwire.web.problems import install_problem_handlers


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


DOMAIN_ERRORS = [
    "metalwire.accounts.service:AccountError",
    "metalwire.alerts.rules:ThresholdError",
    "metalwire.catalog.calendars:CalendarError",
    "metalwire.catalog.service:CatalogError",
    "metalwire.catalog.units:UnitError",
    "metalwire.indices.engine:DefinitionError",
    "metalwire.indices.engine:IndexDataError",
    "metalwire.indices.service:IndexError_",
    "metalwire.markets.service:InstrumentError",
    "metalwire.markets.windows:WindowError",
    "metalwire.newsroom.service:NewsroomError",
    "metalwire.pricing.desk:PricingError",
    "metalwire.supply.service:SupplyError",
    "metalwire.tabular:TableError",
]


@pytest.mark.parametrize("name", DOMAIN_ERRORS)
def test_every_domain_refusal_is_a_service_error(name: str) -> None:
    module, _, cls = name.partition(":")
    error_type = getattr(importlib.import_module(module), cls)
    assert issubclass(error_type, ServiceError)
    assert error_type("mid: not a number").problems == (Located("mid: not a number"),)


def test_newsroom_refusals_keep_their_kind_of_status() -> None:
    from metalwire.newsroom import service as newsroom

    assert issubclass(newsroom.NotFound, NotFound) and newsroom.NotFound.status == 404
    assert issubclass(newsroom.Conflict, Conflict) and newsroom.Conflict.status == 409


def _api_raising(error: ServiceError) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app, lambda request, status, detail: HTMLResponse(detail, status))

    @app.get("/api/v1/refused")
    def refused() -> None:
        raise error

    @app.get("/page")
    def page() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_the_api_answers_a_service_error_as_problem_json_by_its_type() -> None:
    error = InvalidInput(
        problems=[Located("not a number", row=2, field="mid"), Located("empty file", "a.csv")]
    )
    answer = _api_raising(error).get("/api/v1/refused")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "urn:metalwire:problem:invalid-parameter"
    assert body["detail"] == "row 2: mid: not a number; a.csv: empty file"
    assert body["invalid_params"] == [{"name": "mid", "location": "body", "reason": "not a number"}]


def test_four_eyes_answers_409_by_its_type_and_a_page_gets_the_error_page() -> None:
    client = _api_raising(FourEyes("four eyes: a@b.c assessed it"))
    answer = client.get("/api/v1/refused")
    assert answer.status_code == 409
    assert answer.json()["type"] == "urn:metalwire:problem:four-eyes"
    assert "invalid_params" not in answer.json()
    page = client.get("/page")
    assert (page.status_code, page.text) == (409, "four eyes: a@b.c assessed it")


def test_the_cli_prints_one_line_per_located_problem_and_exits_1() -> None:
    app = typer.Typer()

    @app.command()
    def run() -> None:
        refuse(InvalidInput(problems=[Located("missing", "a.csv", 3, "low"), Located("bad")]))

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["a.csv: row 3: low: missing", "bad"]


def test_a_desk_form_shows_each_problem_beside_its_field() -> None:
    failure = FormFailure("correct", {"low": "1", "high": "2"}, "missing")
    failure.refused(
        InvalidInput(
            problems=[
                Located("must be positive", field="low"),
                Located("no such series", field="series"),
            ]
        )
    )
    assert failure.errors == {"low": "must be positive", "": "series: no such series"}
    # Nobody parses a message back into parts: an error that names no field goes above the form.
    plain = FormFailure("correct", {"low": "1", "high": "2"}, "missing")
    plain.refused(ValueError("high: below low"))
    assert plain.errors == {"": "high: below low"}


def test_no_module_parses_an_error_message_back_into_parts() -> None:
    """The field travels with the error (``Located``): reading it back out of the text breaks
    the moment a message holds ": " of its own."""
    import re
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "src" / "metalwire"
    parsing = re.compile(r"""\.(?:partition|split|rsplit)\(\s*["']: ["']""")
    found = [
        f"{path.relative_to(source)}:{number}"
        for path in sorted(source.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if parsing.search(line)
    ]
    assert found == []
