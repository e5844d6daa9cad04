"""The contract every API route keeps, checked route family by route family (NetBox's
APIViewTestCases): a subclass of ``RouteContract`` names a route, its access rule and example
requests, and inherits the checks.

- the route declares the access rule the family says (web/access.py);
- the example answers 200 to its caller, and a bad parameter answers 422 as problem+json;
- something that does not exist is 404, and so is something not yet released: embargoed
  values look exactly like absent ones, and no answer carries an embargoed or draft value;
- the gate refuses by its rules: an invalid key 401, a role the route is not for 403
  ``forbidden``, a plan that does not include the thing 403 ``plan-required``;
- where the route caches, its answer has an ETag and a revalidation with it answers 304;
- a keyed request's answer says its rate limit (X-RateLimit-Limit, X-RateLimit-Remaining).

The market is tests/support/market.py's (the access matrix's), built once per backend and run
and copied for each family; its clock stands at NOW (before the embargoed prices' release).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from metalwire.settings import load_settings
from metalwire.web.access import AccessRule, rule_of
from metalwire.web.app import create_app, route_table
from metalwire.web.body_cache import BodyCache
from tests.conftest import ScratchDatabase, Templates, scratch_database
from tests.support.market import DRAFTS, EMBARGOED, NOW, Market, build_market

PROBLEM = "application/problem+json"


@dataclass
class ContractMarket:
    market: Market
    app: FastAPI
    client: TestClient

    def get(self, url: str, caller: str = "anonymous", **headers: str) -> Response:
        self.client.cookies.clear()
        return self.client.get(url, headers={**self.market.credentials[caller], **headers})


def _built_market(templates: Templates, backend: str, folder: Path) -> tuple[str, Market]:
    def build(db: ScratchDatabase) -> Market:
        return build_market(db, folder)

    built = templates.build(backend, "route contract market", build)
    return built.template, built.result


def assert_problem(answer: Response, status: int, kind: str | None = None) -> None:
    """An RFC 9457 problem with this status (and problem type)."""
    assert answer.status_code == status, (status, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:")
    if kind is not None:
        assert body["type"] == f"urn:metalwire:problem:{kind}", body


class RouteContract:
    """Subclass per route family; set what applies, leave the rest None (the check is skipped
    with the reason)."""

    route: ClassVar[str]  # the route's template, as in the route table
    rule: ClassVar[AccessRule]
    example: ClassVar[str]  # answers 200 to ``caller``
    caller: ClassVar[str] = "subscriber"
    bad_parameter: ClassVar[str | None] = None  # answers 422
    unknown: ClassVar[str | None] = None  # names nothing: 404
    embargoed: ClassVar[str | None] = None  # names something approved, not yet released: 404
    premium: ClassVar[str | None] = None  # the free reader's plan does not include it: 403
    caches: ClassVar[bool] = False  # ETag, and 304 to If-None-Match

    @pytest.fixture(scope="class")
    def contract(
        self, backend: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[ContractMarket]:
        template, market = _built_market(templates, backend, tmp_path_factory.mktemp("market"))
        with scratch_database(backend, template, tmp_path_factory.mktemp("contract")) as db:
            app = create_app(load_settings(database_url=db.url), engine=db.engine)
            app.state.clock = lambda: NOW
            with TestClient(app) as client:
                yield ContractMarket(market, app, client)
            ledger = app.state.checkouts
            assert not ledger.over_one and not ledger.leaked, (ledger.over_one, ledger.leaked)

    def test_the_route_declares_its_access_rule(self) -> None:
        rules = {
            rule_of(e.endpoint)
            for e in route_table()
            if e.path == self.route and "GET" in e.methods
        }
        assert rules == {self.rule}, f"{self.route}: {rules}"

    def test_the_example_answers(self, contract: ContractMarket) -> None:
        path = self.example.split("?")[0]
        pattern = re.sub(r"{\w+}", "[^/]+", self.route)
        assert re.fullmatch(pattern, path), f"{self.example} is not a request of {self.route}"
        answer = contract.get(self.example, self.caller)
        assert answer.status_code == 200, answer.text[:300]

    def test_a_bad_parameter_is_a_problem(self, contract: ContractMarket) -> None:
        if self.bad_parameter is None:
            pytest.skip("the route takes no parameter that can be wrong")
        assert_problem(contract.get(self.bad_parameter, self.caller), 422, "invalid-parameter")

    def test_something_unknown_is_not_found(self, contract: ContractMarket) -> None:
        if self.unknown is None:
            pytest.skip("the route names nothing")
        assert_problem(contract.get(self.unknown, self.caller), 404, "not-found")

    def test_embargoed_data_is_invisible(self, contract: ContractMarket) -> None:
        if self.embargoed is not None:
            assert_problem(contract.get(self.embargoed, self.caller), 404, "not-found")
        if self.rule == "staff":
            return  # the desk's own work: drafts are what it shows
        for caller in ("anonymous", "reader", "subscriber"):
            body = contract.get(self.example, caller).text
            leaked = [marker for marker in (*EMBARGOED, *DRAFTS) if marker in body]
            assert leaked == [], f"{caller} GET {self.example} shows {leaked}"

    def test_the_gate_refuses_by_its_rules(self, contract: ContractMarket) -> None:
        invalid = contract.get(self.example, Authorization="Bearer mw_nothing_here")
        assert_problem(invalid, 401, "unauthorized")
        assert invalid.headers["www-authenticate"] == "Bearer"
        if self.rule == "staff":
            assert_problem(contract.get(self.example, "reader"), 403, "forbidden")
            assert_problem(contract.get(self.example, "anonymous"), 403, "forbidden")
        elif self.rule == "public":
            assert contract.get(self.example).status_code == 200
        if self.premium is not None:
            assert_problem(contract.get(self.premium, "reader"), 403, "plan-required")
            assert contract.get(self.premium, "subscriber").status_code == 200

    def test_a_cached_answer_revalidates(self, contract: ContractMarket) -> None:
        answer = contract.get(self.example, self.caller)
        if not self.caches:
            assert "etag" not in answer.headers, "the route caches: say so (caches = True)"
            return
        etag = answer.headers["etag"]
        again = contract.get(self.example, self.caller, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag

    def test_a_keyed_answer_says_its_rate_limit(self, contract: ContractMarket) -> None:
        # From a cold cache, twice: the route's own answer, then what a layer in front of it may
        # answer from the cache (web/fast_history.py).
        contract.app.state.body_cache = BodyCache()
        answers = [contract.get(self.example, self.caller) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        said = all(
            "x-ratelimit-limit" in a.headers and "x-ratelimit-remaining" in a.headers
            for a in answers
        )
        assert said, [dict(a.headers) for a in answers]
