"""The base layout: full navigation, language switch, bilingual error pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from metalwire.catalog.service import load_catalog_data


def test_every_page_carries_the_full_navigation(client: TestClient) -> None:
    html = client.get("/").text
    data = load_catalog_data()
    for group in data.groups:
        assert group.name_en in html
        for entry in group.entries:
            assert f'href="/entry/{entry.code}"' in html
    assert '<html lang="en">' in html


def test_language_switch_is_remembered(client: TestClient) -> None:
    response = client.get(
        "/set-lang", params={"lang": "zh", "next": "/entry/silver"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/entry/silver"
    html = client.get("/entry/silver").text  # the cookie now says zh
    assert '<html lang="zh-CN">' in html
    assert "<h1>白银</h1>" in html
    assert "贵金属" in html


def test_language_switch_is_not_an_open_redirect(client: TestClient) -> None:
    response = client.get(
        "/set-lang", params={"lang": "en", "next": "//evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"


def test_not_found_page_in_both_languages(client: TestClient) -> None:
    en = client.get("/entry/unobtainium")
    assert en.status_code == 404 and "Page not found" in en.text
    zh = client.get("/entry/unobtainium", params={"lang": "zh"})
    assert zh.status_code == 404 and "页面不存在" in zh.text


def test_healthz_checks_the_database(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert (health["status"], health["database"]) == ("ok", "ok")
    assert health["requests"]["active"] == 0 and health["pool"]["checked_out"] == 0


def test_every_series_links_to_a_methodology_page_that_exists(client: TestClient) -> None:
    from metalwire.demo.series import demo_series

    for family in {s.methodology for s in demo_series()}:
        response = client.get(f"/methodology/{family}")
        assert response.status_code == 200, family
        assert "<h2>Exclusions</h2>" in response.text or family in (
            "futures",
            "indices",
            "partner-prices",
        )
    index = client.get("/methodology").text
    assert 'href="/methodology/spot-prices"' in index
    assert client.get("/methodology/../../etc/passwd").status_code == 404
    assert client.get("/methodology/nope").status_code == 404


def test_every_methodology_document_reads_in_chinese_on_the_chinese_site(
    client: TestClient,
) -> None:
    """Each document under methodology/ has its Chinese version (zh/), served to a reader of
    the Chinese site with the same headings, tables and links between documents."""
    import re

    from metalwire import methodology

    for slug in ["index", *methodology.families()]:
        english, chinese = methodology.render(slug, "en"), methodology.render(slug, "zh")
        assert english is not None and chinese is not None, slug
        assert re.search(r"[\u4e00-\u9fff]", chinese[0]), (slug, chinese[0])
        for tag in ("<h2>", "<table>", "<li>"):
            assert english[1].count(tag) == chinese[1].count(tag), (slug, tag)
        assert set(re.findall(r'href="(/methodology/[a-z0-9-]+)"', english[1])) == set(
            re.findall(r'href="(/methodology/[a-z0-9-]+)"', chinese[1])
        ), slug
        page = client.get(
            f"/methodology/{slug}" if slug != "index" else "/methodology", params={"lang": "zh"}
        )
        assert page.status_code == 200 and chinese[0] in page.text, slug
    assert methodology.render("spot-prices", "fr") is None


@pytest.mark.demo_market(days=14)  # a copy of `metalwire demo --days 14`, built once per run
def test_entry_page_links_each_series_to_its_methodology(client: TestClient) -> None:
    html = client.get("/entry/silver").text
    assert 'href="/methodology/spot-prices"' in html


def test_nul_characters_are_refused_before_any_code_sees_them(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/series", params={"entry": "sil\x00ver"}),
        client.post(
            "/api/v1/corrections",
            json={"series": "\x00", "date": "2026-01-01", "low": 1, "high": 2, "reason": "x"},
        ),
    ):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert "NUL" in response.json()["detail"]
    assert client.get("/api/v1/catalog").status_code == 200
