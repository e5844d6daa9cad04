"""Consultations and versions in both languages: each text a reader sees is written in English
and in Chinese (refused, naming the field, when the Chinese is missing or not Chinese), read in
the reader's language on the API (?lang=) and the pages; a row made before Chinese was asked
(migration 0017) reads in English, marked lang="en"."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.db.base import UTCDateTime
from metalwire.db.migrate import alembic_config, upgrade
from metalwire.errors import InvalidInput
from metalwire.governance import consultations
from metalwire.governance.rules import Outcome
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Desk, ScratchDatabase
from tests.governance.conftest import (
    CHINESE,
    CLOSES,
    DECIDED,
    DECIDED_ZH,
    EFFECTIVE,
    FAMILY,
    NEW_TEXT,
    NEW_TEXT_ZH,
    OPENS,
    PROPOSED,
    adopted,
    open_change,
    proposal,
)
from tests.governance.test_api import PROPOSAL, _keys, _on


def _refused_field(desk: Desk, **changes: str) -> str:
    with desk.db.transaction() as session, pytest.raises(InvalidInput) as refused:
        consultations.propose(session, proposal(**changes), actor="a", now=PROPOSED)
    return refused.value.problems[0].field or ""


def test_a_proposal_is_refused_without_its_chinese_naming_the_field(desk: Desk) -> None:
    for field in CHINESE:
        assert _refused_field(desk, **{field: "  "}) == field
        # English (or figures alone) in a Chinese field is no Chinese text.
        assert _refused_field(desk, **{field: "Three deals, 3"}) == field
    with desk.db.transaction() as session:
        assert consultations.listing(session, staff=True) == []  # nothing written


def test_a_decision_is_refused_without_its_chinese_naming_the_field(desk: Desk) -> None:
    cid = open_change(desk)
    for changes, field in (
        ({"rationale_zh": ""}, "rationale_zh"),
        ({"response_to_comments_zh": "Thanks."}, "response_zh"),
        ({"outcome": Outcome.AMENDED, "text": NEW_TEXT}, "text_zh"),
        ({"outcome": Outcome.AMENDED, "text_zh": NEW_TEXT_ZH}, "text"),
        ({"outcome": Outcome.AMENDED, "text": NEW_TEXT, "text_zh": "# v3"}, "text_zh"),
        ({"text": NEW_TEXT, "text_zh": NEW_TEXT_ZH}, "text"),  # adopted: no text of its own
    ):
        with desk.db.transaction() as session, pytest.raises(InvalidInput) as refused:
            decision = replace(adopted(), **changes)  # type: ignore[arg-type]
            consultations.decide(session, cid, decision, actor="e", today=DECIDED)
        assert refused.value.problems[0].field == field, changes
    with desk.db.transaction() as session:
        amended = replace(
            adopted(),
            outcome=Outcome.AMENDED,
            text=NEW_TEXT + "\nv3",
            text_zh=NEW_TEXT_ZH + "第3版",
        )
        made = consultations.decide(session, cid, amended, actor="e", today=DECIDED).version
        assert made is not None and made.text_zh == NEW_TEXT_ZH + "第3版"
        assert made.summary_zh == CHINESE["summary_zh"]


def _adopt(desk: Desk) -> int:
    cid = open_change(desk)
    with desk.db.transaction() as session:
        consultations.decide(session, cid, adopted(), actor="editor@desk.cn", today=DECIDED)
    return cid


def test_the_api_answers_in_the_language_asked(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    cid = _adopt(desk)
    _on(app, EFFECTIVE)
    english = client.get(f"/api/v1/consultations/{cid}").json()
    assert (english["lang"], english["title"]) == ("en", "Three deals at least")
    assert english["title_zh"] == CHINESE["title_zh"]
    chinese = client.get(f"/api/v1/consultations/{cid}", params={"lang": "zh"}).json()
    assert chinese["lang"] == "zh"
    assert [chinese[k] for k in ("title", "summary", "rationale", "proposed_text")] == [
        CHINESE[k].strip() for k in ("title_zh", "summary_zh", "rationale_zh", "text_zh")
    ]
    assert chinese["decision_rationale"] == DECIDED_ZH["rationale_zh"]
    assert chinese["response_to_comments"] == chinese["response_to_comments_zh"]
    assert chinese["response_to_comments_zh"] == DECIDED_ZH["response_to_comments_zh"]
    (listed,) = client.get("/api/v1/consultations", params={"lang": "zh"}).json()
    assert listed["title"] == CHINESE["title_zh"]
    history = client.get(f"/api/v1/methodology/{FAMILY}/versions", params={"lang": "zh"}).json()
    assert [(v["summary"], v["lang"]) for v in history] == [
        ("随平台发布的方法论。", "zh"),
        (CHINESE["summary_zh"], "zh"),
    ]
    assert client.get("/api/v1/consultations", params={"lang": "fr"}).status_code == 422


def test_a_proposal_over_the_api_names_its_missing_or_english_chinese(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    keys = _keys(desk)
    _on(app, OPENS)
    missing = {k: v for k, v in PROPOSAL.items() if k != "title_zh"}
    refused = client.post("/api/v1/consultations", json=missing, headers=keys["analyst"])
    assert refused.status_code == 422
    assert [p["name"] for p in refused.json()["invalid_params"]] == ["title_zh"], refused.text
    english = {**PROPOSAL, "summary_zh": "Three, not two."}
    refused = client.post("/api/v1/consultations", json=english, headers=keys["analyst"])
    assert refused.status_code == 422
    (problem,) = refused.json()["invalid_params"]
    assert problem["name"] == "summary_zh" and "written in Chinese" in problem["reason"]


def test_the_chinese_pages_show_the_chinese_texts(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    cid = _adopt(desk)
    _on(app, EFFECTIVE)
    zh = {"lang": "zh"}
    methodology = client.get(f"/methodology/{FAMILY}", params=zh).text
    assert '<article class="prose" lang="zh-CN">' in methodology
    assert "第2版：至少三笔成交" in methodology and "Version 2: three" not in methodology
    assert f'<td lang="zh-CN">{CHINESE["summary_zh"]}</td>' in methodology
    first = client.get(f"/methodology/{FAMILY}", params={**zh, "version": "1"}).text
    assert '<article class="prose" lang="zh-CN">' in first and "现货价格" in first
    listed = client.get("/consultations", params=zh).text
    assert f'lang="zh-CN">{CHINESE["title_zh"]}</a>' in listed
    shown = client.get(f"/consultations/{cid}", params=zh).text
    for text in (CHINESE["title_zh"], CHINESE["rationale_zh"], DECIDED_ZH["rationale_zh"]):
        assert f'lang="zh-CN">{text}<' in shown, text
    english = client.get(f"/consultations/{cid}", params={"lang": "en"}).text
    assert '<h1 lang="en">Three deals at least</h1>' in english


# --- rows made before migration 0017 ---------------------------------------------------------

CONSULTATION = sa.table(
    "methodology_consultation",
    *(sa.column(n, sa.String()) for n in ("family", "title", "summary", "rationale")),
    *(sa.column(n, sa.String()) for n in ("proposed_text", "stage", "proposed_by", "outcome")),
    *(sa.column(n, sa.String()) for n in ("decision_rationale", "response_to_comments")),
    *(sa.column(n, sa.String()) for n in ("decided_by",)),
    sa.column("id", sa.Integer()),
    sa.column("proposed_at", UTCDateTime()),
    *(sa.column(n, sa.Date()) for n in ("opens_on", "closes_on", "decided_on")),
)
VERSION = sa.table(
    "methodology_version",
    *(sa.column(n, sa.String()) for n in ("family", "summary", "text", "actor")),
    *(sa.column(n, sa.Integer()) for n in ("id", "number", "consultation_id")),
    sa.column("effective_from", sa.Date()),
    sa.column("recorded_at", UTCDateTime()),
)


def test_rows_made_before_chinese_read_in_english_marked_so(db: ScratchDatabase) -> None:
    command.downgrade(alembic_config(db.engine), "0016")
    with db.engine.begin() as conn:  # what the code before 0017 wrote: English alone
        conn.execute(
            CONSULTATION.insert(),
            {
                "id": 1,
                "family": FAMILY,
                "title": "Old title",
                "summary": "Old summary.",
                "rationale": "Old rationale.",
                "proposed_text": "# Spot prices\n\nOld version 2.\n",
                "stage": "decided",
                "proposed_by": "analyst@desk.cn",
                "proposed_at": dt.datetime.combine(OPENS, dt.time(2), tzinfo=dt.UTC),
                "opens_on": OPENS,
                "closes_on": CLOSES,
                "outcome": "adopted",
                "decision_rationale": "Old decision.",
                "response_to_comments": "Old response.",
                "decided_by": "editor@desk.cn",
                "decided_on": DECIDED,
            },
        )
        conn.execute(
            VERSION.insert(),
            {
                "id": 1,
                "family": FAMILY,
                "number": 2,
                "effective_from": EFFECTIVE,
                "summary": "Old summary.",
                "text": "# Spot prices\n\nOld version 2.\n",
                "consultation_id": 1,
                "recorded_at": dt.datetime.combine(DECIDED, dt.time(9), tzinfo=dt.UTC),
                "actor": "editor@desk.cn",
            },
        )
    upgrade(db.engine)
    app = create_app(load_settings(database_url=db.url), engine=db.engine)
    _on(app, EFFECTIVE)
    with TestClient(app) as client:
        zh = {"lang": "zh"}
        old = client.get("/api/v1/consultations/1", params=zh).json()
        assert (old["lang"], old["title"], old["title_zh"]) == ("en", "Old title", None)
        assert (old["decision_rationale"], old["decision_rationale_zh"]) == ("Old decision.", None)
        history = client.get(f"/api/v1/methodology/{FAMILY}/versions", params=zh).json()
        assert (history[1]["summary"], history[1]["lang"]) == ("Old summary.", "en")
        listed = client.get("/consultations", params=zh).text
        assert '<a href="/consultations/1" lang="en">Old title</a>' in listed
        shown = client.get("/consultations/1", params=zh).text
        assert '<h1 lang="en">Old title</h1>' in shown
        assert (
            '<p lang="en">Old decision.</p>' in shown and '<p lang="en">Old response.</p>' in shown
        )
        page = client.get(f"/methodology/{FAMILY}", params=zh).text
        assert '<article class="prose" lang="en">' in page and "Old version 2." in page
        assert '<td lang="en">Old summary.</td>' in page
