"""Every link of the demo site leads somewhere: crawled from / in both languages, anonymously and
as each demo user, no link answers 403 or 404 and no page shows a placeholder where a value
exists."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.db.engine import transaction

USERS = (None, "reader", "subscriber", "analyst", "editor")
HREF = re.compile(r'href="(/[^"]*)"')
# Pages of one kind look alike: a few of each are enough to prove their links.
SAMPLED = (re.compile(r"^/articles/[^/?]+$"), re.compile(r"^/surveys/[^/?]+/\d{4}-\d{2}$"))
PER_KIND = 6
# Not pages: downloads, feeds, the API's JSON, leaving the session.
SKIPPED = re.compile(r"^/(api/|feeds/|static/|sign-out|banner/|set-lang)|[?&]format=")
PLACEHOLDERS = ("No value yet", "No settlement yet", "暂无数值", "暂无结算价", "None</", ">nan<")
# The platform's own English sentences (the engine's explanations and exclusion reasons,
# correction notices), which a Chinese page says in Chinese.
ENGLISH_SENTENCES = (
    "Transaction-based:",
    "Spread-based:",
    "Judgment: ",
    "Correction of version",
    "Interpolated:",
    "Carried forward:",
    "late: received",
)


def _cookies(client: TestClient, user: str | None) -> dict[str, str]:
    if user is None:
        return {}
    sessions = client.app_state.sessions  # type: ignore[attr-defined]
    with transaction(sessions) as session:
        found = accounts.get_user(session, f"{user}@metalwire.demo")
        assert found is not None
        return {"mw_session": accounts.start_session(session, found)}


def crawl(client: TestClient, user: str | None, lang: str) -> tuple[int, list[str]]:
    cookies = _cookies(client, user)
    seen: set[str] = set()
    per_kind: dict[int, int] = {}
    queue = deque([f"/?lang={lang}"])
    problems: list[str] = []
    while queue and len(seen) < 2000:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        client.cookies.clear()
        answer = client.get(path, cookies=cookies, headers={"Accept-Language": lang})
        # A price service answers a page above the reader's plan with the page and its
        # paywall (definition, unit, release time, methodology), never a bare 403.
        if answer.status_code in (403, 404) or answer.status_code >= 500:
            problems.append(f"{answer.status_code} {path}")
            continue
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        html = answer.text
        problems += [f"{path}: shows {p!r}" for p in PLACEHOLDERS if p in html]
        if lang == "zh":
            problems += [f"{path}: says {p!r} in English" for p in ENGLISH_SENTENCES if p in html]
        for link in HREF.findall(html):
            link = urldefrag(link.replace("&amp;", "&"))[0]
            if not link or SKIPPED.search(link) or link in seen:
                continue
            kind = next((n for n, k in enumerate(SAMPLED) if k.match(urlsplit(link).path)), None)
            if kind is not None:
                if per_kind.get(kind, 0) >= PER_KIND:
                    continue
                per_kind[kind] = per_kind.get(kind, 0) + 1
            queue.append(link)
    return len(seen), problems


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("user", USERS, ids=[u or "anonymous" for u in USERS])
def test_every_link_leads_somewhere(demo_site: TestClient, user: str | None, lang: str) -> None:
    pages, problems = crawl(demo_site, user, lang)
    assert pages > 100, f"the crawl reached only {pages} pages"
    assert problems == [], "\n".join(problems)


def test_an_exchange_rate_reads_as_a_rate_and_old_values_name_the_plan_that_opens_them(
    demo_site: TestClient,
) -> None:
    demo_site.cookies.clear()
    board = demo_site.get("/futures?lang=en").text
    assert "yuan per USD" in board and ">pt<" not in board
    assert "元/美元" in demo_site.get("/futures?lang=zh").text
    demo_site.cookies.clear()
    indices = demo_site.get("/indices/MW-WB-BASE-METALS?lang=en").text
    assert "Older than your plan’s history of 30 days." in indices
    assert "The Subscriber plan shows it." in indices
    demo_site.cookies.clear()
    entry = demo_site.get("/entry/iron-ore-index?lang=en").text
    assert 'href="/indices/FE-ORE-62-INDEX"' in entry and "/series/FE-ORE-62-INDEX" not in entry
