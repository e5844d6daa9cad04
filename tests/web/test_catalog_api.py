"""The catalog API, in-process and over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ScratchDatabase


@pytest.fixture
def demo_db(env_db: ScratchDatabase, request: pytest.FixtureRequest) -> ScratchDatabase:
    """The test's database, a copy of ``metalwire demo --days 14`` built once per run."""
    assert request.node.get_closest_marker("demo_market"), "mark the test demo_market(days=14)"
    return env_db


def test_catalog_has_7_groups_and_50_bilingual_entries(client: TestClient) -> None:
    body = client.get("/api/v1/catalog").json()
    groups = body["groups"]
    assert [g["name_en"] for g in groups] == [
        "Base Metals",
        "New Energy",
        "Minor Metals",
        "Precious Metals",
        "Scrap Metals",
        "Ferrous Metals",
        "Others",
    ]
    entries = [e for g in groups for e in g["entries"]]
    assert len(entries) == 50
    assert all(e["name_en"] and e["name_zh"] for e in entries)
    silver = next(e for e in entries if e["code"] == "silver")
    assert (silver["name_en"], silver["name_zh"]) == ("Silver", "白银")


def test_catalog_in_chinese(client: TestClient) -> None:
    body = client.get("/api/v1/catalog", params={"lang": "zh"}).json()
    assert body["lang"] == "zh"
    assert body["groups"][0]["name"] == "基本金属"
    assert body["groups"][0]["entries"][0]["name"] == "铝"


def test_a_bad_lang_is_a_problem_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/catalog", params={"lang": "fr"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["invalid_params"][0]["name"] == "lang"
    assert problem["status"] == 422 and problem["instance"] == "/api/v1/catalog"


@pytest.mark.demo_market(days=14)
def test_every_entry_has_an_active_series_after_the_demo(
    demo_db: ScratchDatabase, client: TestClient
) -> None:
    entries = [e for g in client.get("/api/v1/catalog").json()["groups"] for e in g["entries"]]
    empty = [e["code"] for e in entries if e["series_count"] < 1]
    assert empty == []


@pytest.mark.demo_market(days=14)
def test_series_filters(demo_db: ScratchDatabase, client: TestClient) -> None:
    silver = client.get("/api/v1/series", params={"entry": "silver"}).json()["items"]
    assert "AG-INGOT-CN-SPOT" in {s["code"] for s in silver}
    assert all(s["entry"] == "silver" for s in silver)
    free = client.get("/api/v1/series", params={"tier": "free", "limit": 500}).json()["items"]
    assert free and all(s["tier"] == "free" for s in free)
    premiums = client.get("/api/v1/series", params={"kind": "premium", "limit": 500}).json()[
        "items"
    ]
    assert {"AG-INGOT-CN-PREMIUM", "CU-CATHODE-CN-PREMIUM"} <= {s["code"] for s in premiums}
    group = client.get("/api/v1/series", params={"group": "ferrous-metals", "limit": 500}).json()
    assert group["items"] and all(s["group"] == "ferrous-metals" for s in group["items"])


@pytest.mark.demo_market(days=14)
def test_unknown_filter_values_are_named(demo_db: ScratchDatabase, client: TestClient) -> None:
    response = client.get("/api/v1/series", params={"group": "vegetables"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "group"
    response = client.get("/api/v1/series", params={"tier": "gold"})
    assert response.json()["invalid_params"][0]["name"] == "tier"
    response = client.get("/api/v1/series", params={"cursor": "!!!"})
    assert response.json()["invalid_params"][0]["name"] == "cursor"


@pytest.mark.demo_market(days=14)
def test_cursor_pagination_walks_every_series_once(
    demo_db: ScratchDatabase, client: TestClient
) -> None:
    everything = client.get("/api/v1/series", params={"limit": 500}).json()
    assert everything["next"] is None
    codes: list[str] = []
    url: str | None = "/api/v1/series?limit=7"
    pages = 0
    while url:
        response = client.get(url)
        page = response.json()
        codes.extend(s["code"] for s in page["items"])
        if page["next"]:
            assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
        url = page["next"]
        pages += 1
    assert codes == sorted(codes) == [s["code"] for s in everything["items"]]
    assert pages == -(-len(codes) // 7)


@pytest.mark.demo_market(days=14)
def test_one_series_and_404_problem(demo_db: ScratchDatabase, client: TestClient) -> None:
    series = client.get("/api/v1/series/AG-INGOT-CN-SPOT").json()
    assert series["unit_label"] == "yuan/kg"
    assert series["release_time"] == "11:30" and series["timezone"] == "Asia/Shanghai"
    assert series["methodology_url"].startswith("/methodology/")
    zh = client.get("/api/v1/series/AG-INGOT-CN-SPOT", params={"lang": "zh"}).json()
    assert zh["unit_label"] == "元/千克"
    missing = client.get("/api/v1/series/NOPE-XX")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no price series with code 'NOPE-XX'"


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/catalog", "/api/v1/series", "/api/v1/series/{code}"} <= set(spec["paths"])


@pytest.mark.demo_market(days=14)
def test_over_real_http(demo_db: ScratchDatabase, live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as http:
        health = http.get("/healthz")
        assert health.status_code == 200
        assert (health.json()["status"], health.json()["database"]) == ("ok", "ok")
        catalog = http.get("/api/v1/catalog").json()
        assert sum(len(g["entries"]) for g in catalog["groups"]) == 50
        series = http.get("/api/v1/series/CU-CATHODE-CN-SPOT").json()
        assert series["unit_label"] == "yuan/mt"
        assert http.get("/api/v1/series/NOPE").headers["content-type"] == "application/problem+json"
