"""The OpenAPI document states the real bounds of every write (issue #13, finding 8), so that
generated inputs (schemathesis, a client's own validation) meet the server's boundary; a body
that is not UTF-8 is bad input like malformed JSON, a documented 422."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient


def schema_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][name]["properties"])


def branches(prop: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The number and string branches of a decimal, whether nullable or not."""
    options = prop["anyOf"]
    if any("anyOf" in o for o in options):
        options = next(o for o in options if "anyOf" in o)["anyOf"]
    return {o["type"]: o for o in options if o.get("type") in ("number", "string")}


def test_decimals_dates_lengths_and_lists_carry_their_bounds(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    submission = schema_of(document, "SubmissionIn")
    price = branches(submission["price"])
    assert (price["number"]["minimum"], price["number"]["maximum"]) == (-(10**12), 10**12)
    pattern = re.compile(price["string"]["pattern"])
    for good in ("7850", "-12.5", "1000000000000", "0.000001"):
        assert pattern.match(good), good
    for bad in ("1000000000001", "1E+999999", "0.0000001", "NaN", "Infinity", "1e3"):
        assert not pattern.match(bad), bad
    volume = branches(submission["volume"])
    assert volume["number"]["exclusiveMinimum"] == 0 and volume["number"]["maximum"] == 10**9
    assert not re.match(volume["string"]["pattern"], "0.0")
    assert submission["date"]["format"] == "date"
    assert submission["date"]["formatMinimum"] == "1990-01-01"
    assert submission["series"]["maxLength"] == 64
    assert submission["note"]["maxLength"] == 2000
    for model, fields in (("OverrideRequest", ("low", "high")), ("CorrectionRequest", ("low",))):
        props = schema_of(document, model)
        for name in fields:
            assert branches(props[name])["number"]["maximum"] == 10**12, (model, name)
    assert schema_of(document, "OverrideRequest")["rationale"]["maxLength"] == 2000
    assert schema_of(document, "CorrectionRequest")["date"]["formatMinimum"] == "1990-01-01"
    returns = schema_of(document, "ReturnIn")
    assert branches(returns["production"])["number"]["minimum"] == 0
    assert returns["reasons"]["maxItems"] == 20 and returns["note"]["maxLength"] == 2000
    body = document["paths"]["/api/v1/submissions"]["post"]["requestBody"]["content"]
    [batch] = [o for o in body["application/json"]["schema"]["anyOf"] if o.get("type") == "array"]
    assert batch["maxItems"] == 1000
    # A route with ?format= documents its CSV and XLSX answers too.
    prices = document["paths"]["/api/v1/series/{code}/prices"]["get"]["responses"]["200"]
    assert {"application/json", "text/csv"} <= set(prices["content"])


def test_a_body_that_is_not_utf8_is_a_documented_422(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/submissions",
        content=b'\xef"DK\xa0#\xff\x1fS',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["invalid_params"][0]["name"] == "body"


def test_dates_and_codes_outside_their_window_are_refused_by_name(client: TestClient) -> None:
    """Checked on parse, before any lookup: 9999-12-31T23:59:59-05:00 has no UTC instant."""
    cases = [
        (
            "/api/v1/articles/some-slug/publish",
            {"publish_at": "9999-12-31T23:59:59-05:00"},
            "publish_at",
        ),
        ("/api/v1/reports/daily", {"group": "precious-metals", "date": "9999-12-31"}, "date"),
        ("/api/v1/assessments/run", {"date": "1989-12-31"}, "date"),
    ]
    for path, body, field in cases:
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        [param] = answer.json()["invalid_params"]
        assert param["name"] == field and "out of range" in param["reason"], param
    answer = client.get(f"/api/v1/series/{'S' * 65}")
    assert answer.status_code == 422
    assert answer.json()["invalid_params"][0]["name"] == "code"
