"""Observability: request ids and access records, /metrics, /readyz (web/request_log.py,
web/metrics.py, web/health.py, metalwire/logs.py)."""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.pool import NullPool

from metalwire.db.engine import create_db_engine
from metalwire.db.migrate import code_heads
from metalwire.logs import ACCESS_LOGGER, JsonFormatter, RequestIdFilter, logging_config
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from metalwire.web.draining import watch_signals
from metalwire.web.metrics import FAMILIES, route_family
from tests.conftest import Desk, ScratchDatabase, serve_in_thread
from tests.web.test_price_pages import AFTER, BEFORE, DAY, SILVER, publish

HEX_ID = re.compile(r"[0-9a-f]{32}")
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # connection refused at once


def _access(records: list[logging.LogRecord]) -> list[dict[str, object]]:
    """The access records as the JSON lines `metalwire serve` writes."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in records if r.name == ACCESS_LOGGER]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _requests(text: str, **labels: str) -> float:
    """The sum of metalwire_http_requests_total over the series matching ``labels``."""
    return sum(
        value
        for (name, pairs), value in _samples(text).items()
        if name == "metalwire_http_requests_total" and labels.items() <= dict(pairs).items()
    )


def test_a_request_id_is_kept_or_made_and_logged_without_the_query(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    kept = client.get("/api/v1/series?token=s3cret", headers={"X-Request-Id": "lb-7.a_b-c"})
    assert kept.headers["x-request-id"] == "lb-7.a_b-c"
    for bad in ("has space", "x" * 65, 'quote"', "new\\nline", ""):
        made = client.get("/healthz", headers={"X-Request-Id": bad})
        assert HEX_ID.fullmatch(made.headers["x-request-id"]), bad
    plain = client.get("/healthz")
    assert HEX_ID.fullmatch(plain.headers["x-request-id"])
    lines = _access(caplog.records)
    first = lines[0]
    assert first["request_id"] == "lb-7.a_b-c" and first["logger"] == ACCESS_LOGGER
    assert (first["method"], first["path"], first["status"]) == ("GET", "/api/v1/series", 200)
    assert first["bytes"] == len(kept.content) and first["client"] == "testclient"
    assert isinstance(first["duration_ms"], float) and isinstance(first["pid"], int)
    assert str(first["ts"]).endswith("+00:00") and first["level"] == "info"
    assert all("s3cret" not in json.dumps(line) for line in lines)  # no query string, ever
    assert lines[-1]["request_id"] == plain.headers["x-request-id"]
    assert len(lines) == 7


def test_the_apps_own_records_carry_the_request_id(app: FastAPI, client: TestClient) -> None:
    @app.get("/test/logs-a-warning")
    def logs_a_warning() -> dict[str, str]:  # sync: runs in the thread pool
        logging.getLogger("metalwire.web.test").warning("something to look at")
        return {}

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("metalwire")
    logger.addHandler(handler)
    try:
        answer = client.get("/test/logs-a-warning", headers={"X-Request-Id": "trace-42"})
    finally:
        logger.removeHandler(handler)
    warning = next(json.loads(line) for line in lines if "something" in line)
    assert warning["request_id"] == "trace-42" == answer.headers["x-request-id"]
    assert (warning["level"], warning["logger"]) == ("warning", "metalwire.web.test")
    assert warning["message"] == "something to look at"


def test_the_logging_configuration_of_serve() -> None:
    config = logging_config("json", access_log=True)
    assert config["loggers"]["uvicorn.access"]["handlers"] == []  # ours replaces it
    assert config["loggers"][ACCESS_LOGGER]["level"] == "INFO"
    assert logging_config("text", access_log=False)["loggers"][ACCESS_LOGGER]["level"] == "WARNING"
    assert "TextFormatter" in logging_config("text", access_log=True)["formatters"]["default"]["()"]


def test_route_families_are_a_fixed_set() -> None:
    cases = {
        "/api/v1/series/AG-INGOT-CN-SPOT/prices": "api-history",
        "/api/v1/prices/latest": "api-latest",
        "/api/v1/series": "api-other",
        "/": "page",
        "/entry/silver": "page",
        "/feeds/precious-metals/rss": "feed",
        "/static/css/site.css": "static",
        "/healthz": "health",
        "/readyz": "health",
        "/metrics": "metrics",
    }
    assert {path: route_family(path, 200) for path in cases} == cases
    assert route_family("/wp-login.php", 404) == "other"
    assert set(cases.values()) | {"other"} == set(FAMILIES)


def test_metrics_count_every_family_and_the_fast_paths(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: AFTER
    paths = [
        "/",
        "/",  # the second from the shared pages' layer, ahead of the framework
        "/api/v1/series",
        f"/api/v1/series/{SILVER}/prices",
        "/api/v1/prices/latest",
        "/feeds/precious-metals/rss",
        "/static/css/site.css",
        "/healthz",
        "/readyz",
        "/no-such-page",
    ]
    for path in paths:
        client.cookies.clear()
        assert client.get(path).status_code in (200, 404), path
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    text = answer.text
    assert _requests(text, family="page", method="GET", status="200") == 2
    assert app.state.shared_page_hits == 1
    for family in ("api-other", "api-history", "api-latest", "feed", "static"):
        assert _requests(text, family=family) == 1, family
    assert _requests(text, family="health") == 2
    assert _requests(text, family="other", status="404") == 1
    samples = _samples(text)
    pid = next(dict(k[1])["pid"] for k in samples if k[0] == "metalwire_admission_active")
    assert samples[("metalwire_fast_path_hits_total", (("path", "shared_page"), ("pid", pid)))] == 1
    assert samples[("metalwire_db_pool_checked_out", (("pid", pid),))] == 0
    assert samples[("metalwire_admission_capacity", (("pid", pid),))] >= 1
    assert samples[("metalwire_releases_total", ())] == 1
    count = (
        "metalwire_http_request_duration_seconds_count",
        (("family", "page"), ("method", "GET")),
    )
    assert samples[count] == 2
    # A scrape counts itself once it is answered: the next one sees it.
    assert _requests(client.get("/metrics").text, family="metrics") == 1


def test_releases_count_only_what_is_released(desk: Desk, app: FastAPI, client: TestClient) -> None:
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE  # approved, not yet released
    before = client.get("/metrics").text
    assert _samples(before)[("metalwire_releases_total", ())] == 0
    assert "7850" not in before and SILVER not in before
    app.state.clock = lambda: AFTER
    assert _samples(client.get("/metrics").text)[("metalwire_releases_total", ())] == 1


def test_metrics_can_be_turned_off_or_need_a_token(db: ScratchDatabase) -> None:
    guarded = create_app(load_settings(database_url=db.url, metrics_token="t0ken"), db.engine)
    off = create_app(load_settings(database_url=db.url, metrics=False), db.engine)
    try:
        with TestClient(guarded) as client:
            assert client.get("/metrics").status_code == 401
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith(
                "Bearer"
            )
            assert client.get("/metrics", headers={"Authorization": "Basic t0ken"}).status_code
            right = client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
            assert right.status_code == 200 and "metalwire_http_requests_total" in right.text
        with TestClient(off) as client:
            assert client.get("/metrics").status_code == 404
    finally:
        for built in (guarded, off):
            built.state.health_engine.dispose()


def test_a_refusal_by_the_queue_is_counted_and_carries_a_request_id(db: ScratchDatabase) -> None:
    """Over real HTTP: one slot, no queue; a second request while the first holds the slot."""
    small = create_app(
        load_settings(database_url=db.url, worker_threads=1, queue_limit=0), engine=db.engine
    )
    held, done = threading.Event(), threading.Event()

    @small.get("/test/slow")
    def slow() -> dict[str, str]:
        held.set()
        done.wait(5)  # the slot is held until the test has read what it checks
        return {}

    try:
        with serve_in_thread(small) as base:
            outcome: list[httpx.Response] = []
            first = threading.Thread(target=lambda: outcome.append(httpx.get(base + "/test/slow")))
            first.start()
            assert held.wait(5)
            refused = httpx.get(base + "/api/v1/series", headers={"X-Request-Id": "burst-1"})
            metrics = httpx.get(base + "/metrics").text  # not queued behind the slow request
            ready = httpx.get(base + "/readyz")
            done.set()
            first.join(5)
        assert refused.status_code == 503 and refused.headers["x-request-id"] == "burst-1"
        assert "content-security-policy" in refused.headers
        assert outcome[0].status_code == 200 and HEX_ID.fullmatch(
            outcome[0].headers["x-request-id"]
        )
        assert ready.status_code == 200  # busy is not unready
        samples = _samples(metrics)
        assert samples[("metalwire_admission_refused_total", (("reason", "queue_full"),))] == 1
        assert _requests(metrics, family="api-other", status="503") == 1
        active = [v for (name, _), v in samples.items() if name == "metalwire_admission_active"]
        assert active == [1]
    finally:
        small.state.health_engine.dispose()


def test_readyz_is_ready_on_a_live_server(live_server: str) -> None:
    answer = httpx.get(live_server + "/readyz")
    assert answer.status_code == 200 and answer.json() == {"status": "ready"}
    assert answer.headers["cache-control"] == "no-store" and "x-request-id" in answer.headers


def test_readyz_says_503_without_a_database_a_schema_or_while_stopping(
    app: FastAPI, client: TestClient
) -> None:
    assert client.get("/readyz").status_code == 200
    working = app.state.health_engine
    app.state.health_engine = create_db_engine(
        UNREACHABLE, check=False, poolclass=NullPool, connect_args={"connect_timeout": 1}
    )
    try:
        down = client.get("/readyz")
        assert down.status_code == 503 and int(down.headers["retry-after"]) >= 1
        assert down.headers["content-type"].startswith("application/problem+json")
        assert down.json()["status"] == 503 and "database" in down.json()["detail"]
        assert client.get("/healthz").status_code == 503  # liveness agrees the database is down
    finally:
        app.state.health_engine.dispose()
        app.state.health_engine = working
    assert client.get("/readyz").status_code == 200
    app.state.schema_heads = {"9999"}  # a newer release migrated the database
    assert "schema" in client.get("/readyz").json()["detail"]
    app.state.schema_heads = code_heads()
    app.state.draining = True
    stopping = client.get("/readyz")
    assert stopping.status_code == 503 and "shutting down" in stopping.json()["detail"]


def test_readyz_of_an_app_whose_database_went_away(db: ScratchDatabase) -> None:
    """The app was built on a working database; its health engine points where nothing listens."""
    built = create_app(load_settings(database_url=db.url), engine=db.engine)
    built.state.health_engine.dispose()
    built.state.health_engine = create_db_engine(UNREACHABLE, check=False, poolclass=NullPool)
    try:
        with serve_in_thread(built) as base:
            answer = httpx.get(base + "/readyz", timeout=5)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    finally:
        built.state.health_engine.dispose()


def test_the_stop_signal_makes_the_worker_unready_and_still_reaches_uvicorn() -> None:
    seen: list[int] = []
    originals = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    state = SimpleNamespace(draining=False)
    try:
        signal.signal(signal.SIGTERM, lambda number, _frame: seen.append(number))  # uvicorn's
        watch_signals(state)
        signal.raise_signal(signal.SIGTERM)
    finally:
        for sig, handler in originals.items():
            signal.signal(sig, handler)
    assert state.draining and seen == [signal.SIGTERM]


def test_fresh_request_ids_are_unique_within_and_across_forked_workers() -> None:
    import json
    import os

    from metalwire.web.request_log import RequestIds

    ids = RequestIds()
    before = {ids() for _ in range(1000)}
    assert len(before) == 1000 and all(len(i) == 32 for i in before)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a worker forked from this process, counting on from the same state
        os.write(write, json.dumps([ids() for _ in range(100)]).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        forked = set(json.load(pipe))
    after = {ids() for _ in range(100)}
    assert len(forked) == 100 and not forked & (before | after)
