"""The account page's settings: rise/fall colours for every page, and price alerts set and
deleted through forms (CSRF, inline errors naming the field, the plan checked)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.alerts import service as alerts
from tests.conftest import Desk
from tests.web.test_account_pages import csrf_of, sign_up

SILVER, PREMIUM = "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM"


def body_class(html: str) -> str | None:
    match = re.search(r"<body(?: class=\"([^\"]*)\")?>", html)
    assert match, "no <body> tag"
    return match.group(1)


def save_convention(client: TestClient, value: str, mail_lang: str = "en") -> int:
    token = csrf_of(client.get("/account").text)
    response = client.post(
        "/account/settings",
        data={"colour_convention": value, "mail_lang": mail_lang, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code


def test_colour_convention_follows_the_reader_to_every_page(desk: Desk, client: TestClient) -> None:
    assert body_class(client.get("/entry/silver").text) is None  # anonymous: by language
    sign_up(client, "red@up.cn")
    page = client.get("/account").text
    for label in ("By language (default)", "Red up / green down", "Green up / red down"):
        assert label in page
    assert body_class(page) is None
    assert save_convention(client, "cn") == 303
    assert body_class(client.get("/entry/silver").text) == "conv-cn"
    assert body_class(client.get("/", params={"lang": "en"}).text) == "conv-cn"
    assert save_convention(client, "intl") == 303
    assert body_class(client.get("/entry/silver", params={"lang": "zh"}).text) == "conv-intl"
    assert 'value="intl" checked' in client.get("/account").text
    assert save_convention(client, "") == 303
    assert body_class(client.get("/entry/silver").text) is None


def test_settings_refused_inline_and_without_csrf(client: TestClient, app: FastAPI) -> None:
    sign_up(client, "odd@choice.cn")
    assert save_convention(client, "purple") == 422
    refused = client.post(
        "/account/settings",
        data={"colour_convention": "purple", "csrf_token": csrf_of(client.get("/account").text)},
    )
    assert "Colours of rises and falls: choose one of the options." in refused.text
    assert save_convention(client, "cn", mail_lang="fr") == 422
    forged = client.post("/account/settings", data={"colour_convention": "cn"})
    assert forged.status_code == 403
    with app.state.sessions() as session:
        user = accounts.require_user(session, "odd@choice.cn")
        assert user.colour_convention is None  # nothing written by a refused form


def test_the_reader_colours_beat_the_language_colours_in_the_stylesheet(
    client: TestClient,
) -> None:
    css = client.get("/static/css/site.css").text
    block = css[css.index("/* alerts and conventions */") :]
    # Red up for conv-cn, green up for conv-intl, with more specificity than html[lang] .up.
    assert "html body.conv-cn .up { color: #c62828; }" in block
    assert "html body.conv-intl .up { color: #0a7d32; }" in block
    assert "html body.conv-cn .down { color: #0a7d32; }" in block
    assert "html body.conv-intl .down { color: #b3261e; }" in block


def post_alert(client: TestClient, series: str, threshold: str) -> tuple[int, str]:
    token = csrf_of(client.get("/account").text)
    response = client.post(
        "/account/alerts",
        data={"series": series, "threshold": threshold, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_price_alerts_set_and_deleted_on_the_account_page(desk: Desk, client: TestClient) -> None:
    sign_up(client, "free@reader.cn")
    page = client.get("/account").text
    assert f'<option value="{SILVER}">' in page
    assert f'<option value="{PREMIUM}">' not in page  # not offered above the plan
    status, html = post_alert(client, "NOPE", "2")
    assert status == 422 and "Series: there is no price series NOPE." in html
    assert 'aria-invalid="true" aria-describedby="alert-series-error"' in html
    assert 'value="NOPE"' in html  # what was typed is kept
    status, html = post_alert(client, PREMIUM, "2")
    assert status == 422
    assert f"Series: your plan does not include {PREMIUM}, so you cannot set an alert" in html
    status, html = post_alert(client, SILVER, "0")
    assert status == 422 and 'aria-describedby="alert-threshold-error"' in html
    assert "The threshold must be more than 0 and at most 100 percent." in html
    assert "No price alerts yet." in html  # nothing written half-way
    assert post_alert(client, SILVER, "2.5")[0] == 303
    page = client.get("/account").text
    assert f"<code>{SILVER}</code>" in page and "2.50%" in page
    alert_id = re.search(r'name="alert_id" value="(\d+)"', page)
    assert alert_id
    client.post(
        "/account/alerts/delete",
        data={"alert_id": alert_id.group(1), "csrf_token": csrf_of(page)},
    )
    assert "No price alerts yet." in client.get("/account").text


def test_thresholds_not_written_out_are_refused_and_nothing_written(
    desk: Desk, client: TestClient, app: FastAPI
) -> None:
    """Exponent and underscore spellings, and a threshold the length of a document, are
    refused on the threshold field like any other bad number (issue #13)."""
    sign_up(client, "typo@reader.cn")
    for typed in ("1e1", "5E-1", "2_5", "1" * 5_000):
        status, html = post_alert(client, SILVER, typed)
        assert status == 422, typed
        assert 'aria-describedby="alert-threshold-error"' in html
        assert "Give the threshold as a number of percent, e.g. 2.5." in html
    with app.state.sessions() as session:
        user = accounts.require_user(session, "typo@reader.cn")
        assert alerts.price_alerts(session, user.id) == []
    assert post_alert(client, SILVER, "10 %")[0] == 303  # written out, with a sign: fine


def test_alert_forms_need_csrf_and_touch_only_your_own(
    desk: Desk, client: TestClient, app: FastAPI
) -> None:
    sign_up(client, "owner@reader.cn")
    assert post_alert(client, SILVER, "2")[0] == 303
    with app.state.sessions() as session:
        owner = accounts.require_user(session, "owner@reader.cn")
        [mine] = alerts.price_alerts(session, owner.id)
    client.cookies.delete("mw_session")
    sign_up(client, "other@reader.cn")
    token = csrf_of(client.get("/account").text)
    client.post("/account/alerts/delete", data={"alert_id": str(mine.id), "csrf_token": token})
    no_csrf = client.post("/account/alerts", data={"series": SILVER, "threshold": "2"})
    assert no_csrf.status_code == 403
    with app.state.sessions() as session:
        assert [a.id for a in alerts.price_alerts(session, owner.id)] == [mine.id]
        other = accounts.require_user(session, "other@reader.cn")
        assert alerts.price_alerts(session, other.id) == []
    client.cookies.delete("mw_session")
    # The signed-in session's token is worthless once signed out.
    stale = client.post("/account/alerts", data={"series": SILVER, "csrf_token": token})
    assert stale.status_code == 403
    token = csrf_of(client.get("/sign-in").text)
    anonymous = client.post(
        "/account/alerts",
        data={"series": SILVER, "threshold": "2", "csrf_token": token},
        follow_redirects=False,
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


def test_report_emails_by_group(desk: Desk, client: TestClient) -> None:
    sign_up(client, "news@reader.cn")
    page = client.get("/account").text
    assert 'name="group" value="precious-metals"' in page
    client.post(
        "/account/reports",
        data={"group": ["precious-metals"], "csrf_token": csrf_of(page)},
    )
    assert 'value="precious-metals" checked' in client.get("/account").text
    refused = client.post(
        "/account/reports",
        data={"group": ["atlantis"], "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 422 and "Reports: there is no group atlantis." in refused.text
    client.post("/account/reports", data={"csrf_token": csrf_of(page)})  # none ticked
    assert 'value="precious-metals" checked' not in client.get("/account").text
