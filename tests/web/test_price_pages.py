"""Entry pages show the price board through the gate, the release banner and delay notices."""

from __future__ import annotations

import datetime as dt
from functools import partial

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import support
from tests.conftest import Desk

SILVER, PREMIUM = "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM"
DAY = dt.date(2026, 11, 25)
BEFORE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 11:00 Shanghai
AFTER = dt.datetime(2026, 11, 25, 3, 31, tzinfo=dt.UTC)


# Approved two days before the morning the tests read at: every day here is released on time.
publish = partial(support.publish, approved_at=BEFORE - dt.timedelta(days=2))


def test_banner_before_release_then_the_price_after(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE
    html = client.get("/entry/silver").text
    assert "The local prices are expected to be released soon, stay tuned!" in html
    assert "7,850" not in html  # today's price is not out yet
    assert "7,810" in html and html.count("Expected soon") == 3  # Shanghai x2, London
    app.state.clock = lambda: AFTER
    html = client.get("/entry/silver").text
    # Shanghai's silver is out; London's silver (16:30 London) still keeps the banner up.
    assert html.count("Expected soon") == 1 and "stay tuned" in html
    assert "7,840–7,860" in html and "▲ +40" in html and 'class="num up"' in html


def test_got_it_hides_the_banner_for_the_day(desk: Desk, app: FastAPI, client: TestClient) -> None:
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE
    first = client.get("/entry/silver")
    # The banner's form carries no token, so the page names no visitor and sets no cookie.
    assert "stay tuned" in first.text and "csrf_token" not in first.text
    assert "mw_csrf" not in first.headers.get("set-cookie", "")
    client.post("/banner/dismiss", data={"next": "/entry/silver"})
    assert "stay tuned" not in client.get("/entry/silver").text
    app.state.clock = lambda: BEFORE + dt.timedelta(days=1)  # a new day: the banner is back
    assert "stay tuned" in client.get("/entry/silver").text


def test_delayed_publication_and_locked_premium(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(
        desk, PREMIUM, DAY - dt.timedelta(days=1), [("38", "200"), ("40", "200"), ("45", "200")]
    )
    app.state.clock = lambda: AFTER  # nothing of today's silver approved: delayed
    html = client.get("/entry/silver").text
    assert "Delayed publication" in html
    assert "Subscribe to see this price" in html  # the premium series, for an anonymous reader
    zh = client.get("/entry/silver", params={"lang": "zh"}).text
    assert "延迟发布" in zh and "订阅后可查看此价格" in zh
