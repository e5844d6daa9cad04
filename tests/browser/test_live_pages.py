"""Live pages in headless Chromium over real HTTP: a page open before a release instant shows the
price at the instant without a reload (static/js/live-prices.js on the release stream), and
only what the reader's plan may read ever arrives."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Request, Route, expect

from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Desk, serve_in_thread
from tests.support import publish, three_deals

SILVER = "AG-INGOT-CN-SPOT"  # free, released 11:30 Shanghai (03:30 UTC)
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium tier, same release time
DAY = dt.date(2026, 11, 25)
RELEASE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)
LIVE_WITHIN = 3_000  # ms from the instant to the price on the page


class Clock:
    """The app's clock running in real time from an instant a test may move it to."""

    def __init__(self, at: dt.datetime) -> None:
        self.set(at)

    def set(self, at: dt.datetime) -> None:
        self._from = (at, time.monotonic())  # one assignment: read whole by the server's threads

    def __call__(self) -> dt.datetime:
        at, began = self._from
        return at + dt.timedelta(seconds=time.monotonic() - began)


@dataclass
class LiveSite:
    url: str
    app: FastAPI
    clock: Clock

    def release(self) -> None:
        """Half a second before the instant, from now on."""
        self.clock.set(RELEASE - dt.timedelta(seconds=0.5))


@pytest.fixture
def live_site(desk: Desk) -> Iterator[LiveSite]:
    # Yesterday's prices are out (the series pages exist); today's are approved well before
    # 11:30 and released by time.
    for code, deals in ((SILVER, ("7600", "7610", "7620")), (PREMIUM, ("6500", "6510", "6520"))):
        publish(desk, code, DAY - dt.timedelta(days=1), three_deals(*deals))
    early = RELEASE - dt.timedelta(minutes=20)
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=early)
    publish(desk, PREMIUM, DAY, three_deals("6600", "6610", "6620"), approved_at=early)
    app = create_app(load_settings(database_url=desk.db.url), engine=desk.db.engine)
    clock = Clock(RELEASE - dt.timedelta(minutes=5))
    app.state.clock = clock
    with serve_in_thread(app) as url:
        yield LiveSite(url, app, clock)


def _navigations(page: Page) -> list[str]:
    seen: list[str] = []
    page.on(
        "framenavigated", lambda frame: seen.append(frame.url) if frame is page.main_frame else None
    )
    return seen


def _subscribed(page: Page) -> None:
    """The page's stream is open: what falls due from now on reaches it."""
    expect(page.locator("html")).to_have_attribute("data-live-stream", "open")


def test_a_series_page_open_before_the_instant_shows_the_price_at_it_without_a_reload(
    live_site: LiveSite, page: Page
) -> None:
    page.goto(f"{live_site.url}/series/{SILVER}")
    banner = page.locator("[data-live-banner='pending']")
    expect(banner).to_have_text("Expected soon")
    expect(page.locator(".series-latest")).to_contain_text("7,610")
    _subscribed(page)
    page.evaluate("window.stayedOnThePage = true")
    navigations = _navigations(page)

    live_site.release()
    # The wait counts from half a second before the instant.
    expect(page.locator(".series-latest")).to_contain_text("7,710", timeout=LIVE_WITHIN + 500)
    expect(banner).to_have_count(0)
    expect(page.locator("table.series-table").first).to_contain_text("7,710")
    assert page.evaluate("window.stayedOnThePage") is True
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert navigations == []
    # The chart's readout still works on the new chart (its script bound again).
    page.locator("#price-chart").focus()
    expect(page.locator("#price-readout")).to_contain_text("7,710")


def test_a_premium_price_never_reaches_an_anonymous_page_live(
    live_site: LiveSite, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    premium, entry, home = context.new_page(), context.new_page(), context.new_page()
    fetched: list[str] = []
    lock = threading.Lock()

    def record(request: Request) -> None:
        if request.resource_type == "fetch":
            with lock:
                fetched.append(request.url)

    premium.on("request", record)
    try:
        answer = premium.goto(f"{live_site.url}/series/{PREMIUM}")
        assert answer is not None and answer.status == 200  # the series with its paywall
        expect(premium.locator(".paywall")).to_have_count(1)
        expect(premium.locator("[data-live-banner='pending']")).to_have_count(1)
        entry.goto(f"{live_site.url}/entry/silver")
        silver_row = entry.locator(f"tr[data-live-series='{SILVER}']")
        premium_row = entry.locator(f"tr[data-live-series='{PREMIUM}']")
        expect(silver_row.locator("[data-live-banner='pending']")).to_have_count(1)
        expect(premium_row).to_contain_text("Subscribe to see this price")
        home.goto(f"{live_site.url}/")
        board_row = home.locator(f"tr[data-live-series='{SILVER}']")
        expect(board_row.locator("[data-live-banner='pending']")).to_have_count(1)
        for tab in (premium, entry, home):
            _subscribed(tab)

        live_site.release()
        # The free price arrives on the entry page and the home board; the premium one is not
        # even announced.
        expect(silver_row).to_contain_text("7,710", timeout=LIVE_WITHIN + 500)
        expect(silver_row.locator("[data-live-banner]")).to_have_count(0)
        expect(premium_row).to_contain_text("Subscribe to see this price")
        expect(board_row).to_contain_text("7,710", timeout=LIVE_WITHIN)
        expect(board_row.locator("[data-live-banner]")).to_have_count(0)
        premium.wait_for_timeout(1_000)
        with lock:
            assert fetched == []  # no message for the premium series: the page never asked
        expect(premium.locator("[data-live-banner='pending']")).to_have_count(1)
        for text in ("6,610", "6,600", "6,620"):
            assert text not in premium.content()
            assert text not in entry.content()
            assert text not in home.content()
    finally:
        context.close()


def test_a_page_fetched_still_pending_is_asked_again(live_site: LiveSite, page: Page) -> None:
    """At the minute's turn a shared page may be the previous minute's for up to 2 s
    (web/minute_turn.py): the script asks again a second later rather than showing it."""
    url = f"{live_site.url}/series/{SILVER}"
    page.goto(url)
    before = page.request.get(url).text()  # the page as it is before the instant
    fetches: list[str] = []

    def answer(route: Route) -> None:
        if route.request.resource_type != "fetch":
            route.continue_()
            return
        fetches.append(route.request.url)
        if len(fetches) == 1:  # the first answer after the message: the previous minute's
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=before)
        else:
            route.continue_()

    page.route(url, answer)
    _subscribed(page)
    live_site.release()
    expect(page.locator(".series-latest")).to_contain_text("7,710", timeout=LIVE_WITHIN + 1_500)
    expect(page.locator("[data-live-banner]")).to_have_count(0)
    assert len(fetches) == 2
