"""Browser journeys: the demo market served by uvicorn, driven by Debian's Chromium through
Playwright. The market is built once per run (SQLite) and copied for each journey."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from metalwire.db.engine import create_db_engine
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Templates, _free_port, build_demo_once

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The demo is built on a Tuesday evening in Shanghai (all of that day's Shanghai prices out);
# the journeys run on the Wednesday.
BUILT_AT = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DEMO_DAYS = 45
PASSWORD = "metalwire-demo"
# `make screenshots` points this at docs/screenshots (the README's tour); a plain test run keeps
# them out of the working tree.
SCREENSHOTS_ENV = "METALWIRE_SCREENSHOTS"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium missing")


@pytest.fixture(scope="session")
def demo_market(templates: Templates) -> Path:
    """The run's demo market (SQLite; the crawl uses the same build), copied for each journey."""
    return Path(build_demo_once(templates, "sqlite", days=DEMO_DAYS, now=BUILT_AT).template)


@dataclass
class Site:
    url: str
    app: FastAPI

    def at(self, moment: dt.datetime) -> None:
        """Set the server's clock: release times are decided by it."""
        self.app.state.clock = lambda: moment


@pytest.fixture
def site(demo_market: Path, tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "site.db"
    shutil.copyfile(demo_market, path)
    engine = create_db_engine(f"sqlite:///{path}")
    app = create_app(load_settings(database_url=f"sqlite:///{path}"), engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield Site(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per run: Playwright's synchronous API keeps an event loop running in the
    # main thread while it is open, and every later test calling asyncio.run (the concurrency
    # tests, the delivery worker) would fail. The run's order groups tests by backend, so a
    # browser module may come early.
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


Shot = Callable[[Page, str], None]


@pytest.fixture
def shot(tmp_path_factory: pytest.TempPathFactory) -> Shot:
    """Save a screenshot (for the README's tour with `make screenshots`)."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path_factory.mktemp("screenshots"))

    def save(page: Page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
        assert (folder / f"{name}.png").stat().st_size > 10_000  # a page, not a blank

    return save
