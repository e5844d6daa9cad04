"""A reader questions a price, in headless Chromium against the demo market over real HTTP:
how it was assessed (the disclosure, the contributors' codes, the methodology version in force),
a methodology consultation commented on, a complaint logged, acknowledged and answered by the
desk, and the answer read back — the README tour's integrity pictures."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from metalwire.db.engine import make_sessionmaker, transaction
from metalwire.governance import consultations
from tests.browser.conftest import BUILT_AT, Shot, Site
from tests.browser.test_journeys import sign_in, sign_out
from tests.governance.conftest import proposal

SILVER = "AG-INGOT-CN-SPOT"
FAMILY = "spot-prices"  # the silver spot series' methodology
SUBSCRIBER = "subscriber@metalwire.demo"


def _open_consultation(site: Site) -> int:
    """A methodology change the desk opened for comments on the demo's day, for two weeks."""
    today = BUILT_AT.date()
    with transaction(make_sessionmaker(site.app.state.engine)) as session:
        item = consultations.propose(
            session, proposal(), actor="editor@metalwire.demo", now=BUILT_AT
        )
        consultations.open_consultation(
            session,
            item.id,
            closes=today + dt.timedelta(days=14),
            actor="editor@metalwire.demo",
            today=today,
        )
        return item.id


def test_a_reader_questions_a_price_and_the_desk_answers(
    site: Site, page: Page, shot: Shot
) -> None:
    site.at(BUILT_AT)
    consultation = _open_consultation(site)
    sign_in(page, site, SUBSCRIBER, f"/series/{SILVER}?lang=zh")
    expect(page).to_have_url(re.compile(rf"/series/{SILVER}"))

    # How the price was assessed: the disclosure, contributors by code, the methodology version.
    how = page.locator("#how-h")
    how.scroll_into_view_if_needed()
    expect(page.locator("[data-contributors] code").first).to_have_text(re.compile(r"^C-\d+$"))
    expect(page.locator("dl.disclosure")).to_be_visible()
    version = page.locator("[data-methodology-version] a")
    expect(version).to_contain_text("第1版")
    shot(page, "assessment-disclosure-zh")
    version.click()
    expect(page).to_have_url(re.compile(rf"/methodology/{FAMILY}\?version=1"))

    # The open consultation, commented on under the reader's name.
    page.goto(f"{site.url}/consultations/{consultation}?lang=zh")
    expect(page.locator("h1")).to_contain_text("至少三笔成交")
    page.fill("#comment-body", "三笔成交的门槛在淡季可能过高。")
    page.check("input[name='show_name']")
    page.click("form[action$='/comments'] button[type=submit]")
    expect(page.locator("#comments blockquote").first).to_contain_text("淡季")
    shot(page, "consultation-zh")

    # A complaint about the series, from the account page.
    page.goto(f"{site.url}/account")
    page.select_option("#complaint-kind", "series")
    page.fill("#complaint-subject", SILVER)
    page.fill("#complaint-body", "The 24 November price looks high against the deals I saw.")
    page.click("form[action='/account/complaints'] button[type=submit]")
    expect(page.locator("#complaints")).to_contain_text("looks high")
    sign_out(page)

    # The desk acknowledges it, then answers with an outcome.
    sign_in(page, site, "analyst@metalwire.demo", "/desk/complaints")
    expect(page).to_have_url(re.compile(r"/desk/complaints"))
    page.locator("form[id^='acknowledge-'] button").first.click()
    expect(page.locator("#desk-notice")).to_be_visible()
    answer = page.locator("form[action$='/answer']").first
    answer.locator("textarea[name='answer']").fill(
        "Checked: three deals at 7,800-7,830 were used; one above was excluded as late."
    )
    answer.locator("select[name='outcome']").select_option("not-upheld")
    answer.locator("button[type=submit]").click()
    expect(page.locator("#desk-notice")).to_contain_text("投诉已答复")  # the language chosen stays
    shot(page, "desk-complaints-zh")
    sign_out(page)

    # The complainant reads the answer; no one else's complaint is there.
    sign_in(page, site, SUBSCRIBER, "/account")
    expect(page.locator("#complaints")).to_contain_text("three deals at 7,800-7,830")
