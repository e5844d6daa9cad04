"""The two journeys of issue #8, in headless Chromium against the demo market over real HTTP."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from metalwire.pricing.schemas import SUBMISSION_COLUMNS
from tests.browser.conftest import BUILT_AT, PASSWORD, Shot, Site

SILVER = "AG-INGOT-CN-SPOT"
DAY = dt.date(2026, 11, 25)  # the Wednesday after the demo was built
MORNING = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)  # 09:00 Shanghai
BEFORE_RELEASE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 11:00; silver out at 11:30
AFTER_RELEASE = dt.datetime(2026, 11, 25, 3, 31, tzinfo=dt.UTC)


def sign_in(page: Page, site: Site, email: str, next_path: str = "/") -> None:
    page.goto(f"{site.url}/sign-in?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/sign-in'] button[type=submit]")


def sign_out(page: Page) -> None:
    page.click("form[action='/sign-out'] button[type=submit]")


def submissions_file(folder: Path, name: str, prices: list[Decimal], bad_row: bool) -> Path:
    lines = [",".join(SUBMISSION_COLUMNS)]
    for i, price in enumerate(prices):
        shown = "78x0" if bad_row and i == 1 else str(price)
        lines.append(f"{SILVER},{DAY},deal,{shown},,,10,browser-trader-{i},2026-11-25T01:00:00Z,,")
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_analyst_submits_assesses_and_waits_for_a_second_pair_of_eyes(
    site: Site, page: Page, shot: Shot, tmp_path: Path
) -> None:
    site.at(MORNING)
    latest = httpx.get(f"{site.url}/api/v1/series/{SILVER}/prices").json()["items"][-1]
    level = Decimal(latest["mid"])
    prices = [level + 10, level + 20, level + 30]
    sign_in(page, site, "analyst@metalwire.demo", "/desk/submissions")
    expect(page).to_have_url(re.compile(r"/desk/submissions$"))

    # A file with a bad price: the row is named and nothing is stored.
    page.set_input_files("#upload-file", str(submissions_file(tmp_path, "bad.csv", prices, True)))
    page.click("#upload-submit")
    expect(page.locator("#upload-errors")).to_contain_text("row 3: price")
    shot(page, "journey-analyst-upload-error")
    page.set_input_files("#upload-file", str(submissions_file(tmp_path, "good.csv", prices, False)))
    page.click("#upload-submit")
    expect(page.locator("#upload-summary")).to_contain_text("3")

    # The assessment: a draft the analyst cannot release alone.
    page.goto(f"{site.url}/desk?date={DAY}")
    page.select_option("#assess-series", SILVER)
    page.click("#assess-run")
    draft = page.locator(f"tbody[data-series='{SILVER}']")
    expect(draft).to_have_attribute("data-state", "draft")
    assessment = draft.get_attribute("data-assessment")
    # No approve button for the analyst: four eyes, said before anything is tried.
    expect(page.locator(f"#approve-{assessment}-button")).to_have_count(0)
    expect(draft.locator(".four-eyes")).to_contain_text("an editor who did not assess")
    expect(page.locator(f"tbody[data-series='{SILVER}']")).to_have_attribute("data-state", "draft")
    shot(page, "journey-analyst-blocked")

    # A second person, the editor, approves.
    page.goto(f"{site.url}/")
    sign_out(page)
    sign_in(page, site, "editor@metalwire.demo", f"/desk?date={DAY}")
    page.click(f"#approve-{assessment}-button")
    expect(page.locator(f"tbody[data-series='{SILVER}']")).not_to_have_attribute(
        "data-state", "draft"
    )

    # Before 11:30 Shanghai the banner is up and the price is not out; after, it is.
    mid = f"{(prices[1]):,.0f}"
    site.at(BEFORE_RELEASE)
    page.goto(f"{site.url}/entry/silver")
    expect(page.locator(".release-banner")).to_contain_text("stay tuned")
    expect(page.locator("table.prices").first).not_to_contain_text(mid)
    shot(page, "journey-release-banner")
    site.at(AFTER_RELEASE)
    page.reload()
    expect(page.locator("table.prices").first).to_contain_text(mid)


def test_a_newcomer_reads_silver_in_chinese_and_subscribes_to_read_a_report(
    site: Site, page: Page, shot: Shot
) -> None:
    site.at(BUILT_AT)  # the Tuesday evening: Shanghai's prices are out, London's to come
    page.goto(f"{site.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "home")

    # 中文: the whole page switches, and the choice is remembered.
    page.click(".lang-switch a[lang='zh-CN']")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # Silver, from the commodity navigation (entries open on hover).
    group = page.locator(".catalog-nav li.group", has=page.locator("a[href='/entry/silver']"))
    group.hover()
    group.locator("a[href='/entry/silver']").click()
    expect(page).to_have_url(re.compile(r"/entry/silver$"))
    expect(page.locator("h1")).to_have_text("白银")
    shot(page, "silver-zh")

    # A series chart, then a different range.
    page.click(f"a[href='/series/{SILVER}']")
    expect(page.locator("#price-chart")).to_be_visible()
    expect(page.locator("[data-range='1Y']")).to_have_attribute("aria-current", "true")
    page.click("[data-range='1M']")
    expect(page).to_have_url(re.compile(r"range=1M"))
    expect(page.locator("[data-range='1M']")).to_have_attribute("aria-current", "true")
    expect(page.locator("#price-chart path").first).to_be_visible()
    shot(page, "series-zh")

    # A report: the paywall stops an anonymous reader.
    page.goto(f"{site.url}/entry/silver")
    page.locator(".entry-reports a").first.click()
    expect(page.locator(".paywall")).to_be_visible()
    report_url = page.url
    shot(page, "paywall-zh")

    # Signing in as a subscriber opens the whole report.
    page.locator(".paywall a[href^='/sign-in']").click()
    page.fill("#email", "subscriber@metalwire.demo")
    page.fill("#password", PASSWORD)
    page.click("form[action='/sign-in'] button[type=submit]")
    expect(page).to_have_url(report_url)
    expect(page.locator(".paywall")).to_have_count(0)
    expect(page.locator(".article-body")).to_be_visible()
    shot(page, "article-subscriber-zh")


def test_a_phone_reader_the_keyboard_and_the_printer(site: Site, browser: Browser) -> None:
    site.at(BUILT_AT)
    phone = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = phone.new_page()
    for path in ("/", "/entry/silver", f"/series/{SILVER}", "/surveys/AG-INGOT-CN-OUTPUT"):
        page.goto(site.url + path)
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    # The first Tab reaches "skip to content", which leads past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    # A printed report keeps the article and drops the site's furniture.
    page.goto(f"{site.url}/entry/silver")
    page.locator(".entry-reports a").first.click()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("article")).to_be_visible()
    phone.close()


def test_the_desk_tables_fit_a_1400_pixel_screen(site: Site, browser: Browser) -> None:
    """At 1,400 px the desk's tables take the window's width and every column is on screen:
    none hidden behind a scrollbar, the last heading inside the window (the 1,100 px reading
    column cut the assessments table off)."""
    site.at(MORNING)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, site, "editor@metalwire.demo", f"/desk?date={DAY}")
        for path in (f"/desk?date={DAY}", "/desk/reports", "/desk/surveys"):
            page.goto(f"{site.url}{path}")
            tables = page.evaluate(
                """() => [...document.querySelectorAll('table.desk-table')].map(t => ({
                    id: t.id,
                    hidden: t.parentElement.scrollWidth - t.parentElement.clientWidth,
                    width: t.parentElement.clientWidth,
                    right: Math.max(...[...t.querySelectorAll('thead th')].map(
                        th => th.getBoundingClientRect().right)),
                    page: document.documentElement.scrollWidth,
                }))"""
            )
            assert tables, path
            for table in tables:
                assert table["hidden"] <= 0, (path, table)
                # The whole window but its margins: a wider day (more series, longer names)
                # must not overflow a 1,100 px reading column either.
                assert table["width"] >= 1400 - 40, (path, table)
                assert table["right"] <= 1400 and table["page"] <= 1400, (path, table)
    finally:
        context.close()
