"""The newsroom service on both databases: reports drafted from released data only, language
versions and revisions kept, editors publish (now or scheduled), search in both languages with
Chinese substrings, and a premium body never found or shown to a reader without the plan.

The fixtures here (a small released market, hand-made drafts) are shared by the API, feed and
CLI tests of the newsroom.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import Principal, is_readable
from metalwire.accounts.models import Role, User
from metalwire.catalog.models import Tier
from metalwire.demo.newsroom import build_newsroom
from metalwire.errors import Located
from metalwire.newsroom import editing, publishing, reports, search, service, teaser
from metalwire.newsroom.generators import Draft, Fact
from metalwire.newsroom.models import (
    Article,
    ArticleKind,
    ArticleRevision,
    ArticleStatus,
    ArticleText,
)
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.review import approve_assessment, correct
from metalwire.supply import service as supply
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn
from tests.conftest import Desk, ScratchDatabase

SILVER = "AG-INGOT-CN-SPOT"  # free, 11:30 Shanghai
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium
SURVEY = "AG-OUT"
PERIOD = "2025-10"
# 14:00 in Shanghai on Wednesday 25 November 2026: the day's prices are out (11:30).
NOW = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 25)
OCT_DAYS = [dt.date(2025, 10, d) for d in (27, 28, 29, 30)]
NOV_DAYS = [dt.date(2026, 11, d) for d in (23, 24, 25)]
# Text that appears only in premium bodies: if a reader without the plan sees it, a body leaked.
SECRET_EN = "quietly-tightening-bonded-stocks"
SECRET_ZH = "保税库存悄然收紧"


# --- a small released market ------------------------------------------------------------------


def _price(desk: Desk, code: str, day: dt.date, low: int, high: int) -> None:
    mid = (low + high) // 2
    desk.submit(code, day, [(str(low), "200"), (str(mid), "200"), (str(high), "200")])
    with desk.db.transaction() as session:
        run = assess_day(session, day, user=desk.analyst, series_code=code)
        approve_at = scheduled_release(run.assessments[0].series, day) - dt.timedelta(minutes=10)
        for draft in run.assessments:
            approve_assessment(session, draft.id, user=desk.editor, now=approve_at)


def _returns(period: str, values: list[tuple[str, str, str]]) -> list[ReturnIn]:
    panel = {
        "HN-1": ("Henan One", "henan", "lead-smelter by-product", "3600"),
        "YN-1": ("Yunnan One", "yunnan", "copper-smelter by-product", "2400"),
        "SD-1": ("Shandong One", "shandong", "primary", "1200"),
    }
    out = []
    for code, production, inventory in values:
        name, province, kind, capacity = panel[code]
        out.append(
            ReturnIn.model_validate(
                {
                    "period": period,
                    "respondent": code,
                    "name": name,
                    "province": province,
                    "producer_type": kind,
                    "capacity": capacity,
                    "production": production,
                    "inventory": inventory,
                    "forecast_next": production,
                    "reasons": ["maintenance"] if code == "YN-1" and period == PERIOD else [],
                }
            )
        )
    return out


@dataclass
class Market:
    db: ScratchDatabase
    desk: Desk
    reader: User
    subscriber: User


@pytest.fixture
def market(desk: Desk) -> Market:
    """A released survey (Sept and Oct 2025) with a premium spot-premium series, and a few
    released days of a free and a premium silver price, one of them corrected on DAY."""
    db = desk.db
    for day in OCT_DAYS:
        _price(desk, SILVER, day, 7600 + day.day, 7620 + day.day)
        _price(desk, PREMIUM, day, 100 + day.day, 140 + day.day)
    for i, day in enumerate(NOV_DAYS):
        _price(desk, SILVER, day, 7700 + 10 * i, 7740 + 10 * i)
        _price(desk, PREMIUM, day, 300 - 20 * i, 360 - 20 * i)
    with db.transaction() as session:
        supply.create_survey(
            session,
            SURVEY,
            entry="silver",
            unit="mt",
            name_en="China silver ingot output",
            name_zh="中国白银产量",
            tier=Tier.FREE,
            premium_series=PREMIUM,
            actor="t",
        )
        survey = supply.require_survey(session, SURVEY)
        add_returns(
            session,
            survey,
            _returns(
                "2025-09", [("HN-1", "300", "40"), ("YN-1", "200", "30"), ("SD-1", "100", "20")]
            ),
            actor="t",
        )
        add_returns(
            session,
            survey,
            _returns(PERIOD, [("HN-1", "290", "20"), ("YN-1", "180", "15"), ("SD-1", "100", "10")]),
            actor="t",
        )
        for period in ("2025-09", PERIOD):
            supply.release(
                session,
                survey,
                period,
                status=ReleaseStatus.FINAL,
                user=desk.editor,
                release_at=supply.scheduled_release(survey, period),
                now=NOW - dt.timedelta(days=1),
            )
        # A correction of the free price of the 24th, published on the 25th.
        fix = correct(
            session,
            SILVER,
            NOV_DAYS[1],
            low=Decimal(7705),
            high=Decimal(7745),
            reason="a deal reported twice",
            user=desk.analyst,
        )
        approve_assessment(session, fix.id, user=desk.editor, now=NOW - dt.timedelta(hours=1))
        reader = accounts.add_user(session, "reader@mill.cn", role=Role.READER, actor="t")
        subscriber = accounts.add_user(
            session, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
    return Market(db, desk, reader, subscriber)


# --- hand-made drafts -------------------------------------------------------------------------


def draft(lang: str, title: str, summary: str, body: str, facts: list[Fact] | None = None) -> Draft:
    return Draft(
        lang=lang,  # type: ignore[arg-type]
        title=title,
        summary=summary,
        body_markdown=body,
        facts=facts or [],
        tags=["silver"],
    )


def note(
    slug: str,
    *,
    tier: Tier = Tier.FREE,
    en: tuple[str, str, str] = ("Silver output falls", "Output fell.", "Henan smelters cut."),
    zh: tuple[str, str, str] = ("白银产量下降", "产量下降。", "河南冶炼厂减产。"),
    group: str | None = "precious-metals",
) -> editing.ArticleInput:
    fact = Fact(
        "production",
        "1,397.32 mt",
        "survey-statistic",
        "AG-OUT/2025-10/v1#production",
        "Production",
    )
    return editing.ArticleInput(
        slug=slug,
        kind=ArticleKind.NOTE,
        tier=tier,
        drafts={"en": draft("en", *en, facts=[fact]), "zh": draft("zh", *zh, facts=[fact])},
        group_code=group,
        tags=["silver", SURVEY],
        source="desk",
    )


def store_and_publish(
    db: ScratchDatabase,
    desk: Desk,
    data: editing.ArticleInput,
    *,
    publish_at: dt.datetime | None = NOW - dt.timedelta(hours=2),
) -> None:
    """Store a hand-made article and (unless ``publish_at`` is None) publish it."""
    with db.transaction() as session:
        article, _ = editing.store_article(
            session,
            data,
            actor=desk.analyst.email,
            user=desk.analyst,
            now=NOW - dt.timedelta(hours=3),
        )
        if publish_at is not None:
            publishing.publish(
                session,
                article,
                user=desk.editor,
                publish_at=publish_at,
                now=NOW - dt.timedelta(hours=3),
                allow_past=True,
            )


@pytest.fixture
def library(desk: Desk) -> Desk:
    """Published notes in both languages (free and premium), a draft and a scheduled one."""
    store_and_publish(desk.db, desk, note("silver-free"))
    store_and_publish(
        desk.db,
        desk,
        note(
            "silver-premium",
            tier=Tier.PREMIUM,
            en=("Premium silver outlook", "A look at spot premiums.", f"Traders see {SECRET_EN}."),
            zh=("白银升水展望", "现货升水一览。", f"贸易商认为{SECRET_ZH}。"),
        ),
    )
    store_and_publish(
        desk.db,
        desk,
        note(
            "copper-note",
            en=("Copper cathode premiums firm", "Yangshan premiums rose.", "Imports slowed."),
            zh=("铜升水走强", "洋山铜溢价上涨。", "进口放缓。"),
            group="base-metals",
        ),
    )
    store_and_publish(
        desk.db,
        desk,
        note(
            "silver-draft",
            en=("Silver draft unseen", "Draft.", "Draft body."),
            zh=("白银草稿", "草稿。", "草稿正文。"),
        ),
        publish_at=None,
    )
    store_and_publish(
        desk.db,
        desk,
        note(
            "silver-scheduled",
            en=("Silver scheduled later", "Later.", "Later body."),
            zh=("白银定时稿", "稍后。", "稍后正文。"),
        ),
        publish_at=NOW + dt.timedelta(hours=5),
    )
    return desk


def principals(db: ScratchDatabase) -> dict[str, Principal]:
    with db.transaction() as session:
        reader = accounts.get_user(session, "reader@mill.cn") or accounts.add_user(
            session, "reader@mill.cn", role=Role.READER, actor="t"
        )
        subscriber = accounts.get_user(session, "buyer@mill.cn") or accounts.add_user(
            session, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
        return {
            "anonymous": accounts.anonymous_principal(session),
            "reader": accounts.principal_of(reader),
            "subscriber": accounts.principal_of(subscriber),
        }


def found(
    db: ScratchDatabase,
    principal: Principal,
    q: str,
    *,
    lang: str | None = None,
    now: dt.datetime = NOW,
) -> list[str]:
    with db.transaction() as session:
        rows, _ = search.search_articles(session, principal, now=now, q=q, lang=lang)
        return [a.slug for a in rows]


# --- reports ----------------------------------------------------------------------------------


def test_production_report_is_drafted_from_the_release_in_both_languages(market: Market) -> None:
    with market.db.transaction() as session:
        article = reports.draft_production_report(
            session,
            SURVEY,
            PERIOD,
            actor=market.desk.analyst.email,
            user=market.desk.analyst,
            now=NOW,
        )
        assert article.slug == "ag-out-2025-10"
        assert article.status is ArticleStatus.DRAFT and not is_readable(article, NOW)
        # The spot premium series is premium: so is the report that quotes it.
        assert article.tier is Tier.PREMIUM
        assert article.group_code == "precious-metals"
        assert article.source == "AG-OUT/2025-10/v1"
        assert {"silver", "precious-metals", SURVEY, PREMIUM} <= {t.tag for t in article.tags}
        en, zh = service.translation(article, "en"), service.translation(article, "zh")
        assert (en.lang, zh.lang, en.revision, zh.revision) == ("en", "zh", 1, 1)
        assert "silver" in en.title.lower() and "白银" in zh.summary + zh.title
        kinds = {f["source_kind"] for f in en.facts}
        assert {"survey-statistic", "assessment", "series"} <= kinds
        production = next(f for f in en.facts if f["key"] == "production")
        assert production["source_ref"] == "AG-OUT/2025-10/v1#production"
        assert production["href"] == f"/api/v1/surveys/{SURVEY}/stats?period={PERIOD}"
        premium = [f for f in en.facts if f["key"].startswith(PREMIUM)]
        assert premium and all(
            f["href"].startswith(f"/api/v1/series/{PREMIUM}/prices") for f in premium
        )
        # The premium figures are in the body, never in the public title and summary.
        for fact in premium:
            assert not teaser.figures(fact["value"]) & teaser.figures(en.title + " " + en.summary)
        assert "<p>" in en.body_html and "<script" not in en.body_html
        # The survey is free: its figures make the public summary in both languages.
        assert "%" in en.summary and "%" in zh.summary and "订阅" not in zh.summary
        texts = session.scalar(
            select(func.count(ArticleText.id)).where(ArticleText.article_id == article.id)
        )
        assert texts == 2
        # Drafting again from the same data changes nothing.
        again = reports.draft_production_report(
            session,
            SURVEY,
            PERIOD,
            actor=market.desk.analyst.email,
            user=market.desk.analyst,
            now=NOW,
        )
        assert again.id == article.id and len(service.revisions(session, again)) == 2


def test_a_premium_surveys_figures_stay_out_of_the_public_teaser(market: Market) -> None:
    with market.db.transaction() as session:
        supply.require_survey(session, SURVEY).tier = Tier.PREMIUM
    with market.db.transaction() as session:
        article = reports.draft_production_report(session, SURVEY, PERIOD, actor="t", now=NOW)
        assert article.tier is Tier.PREMIUM
        for lang in ("en", "zh"):
            version = service.translation(article, lang)
            stats = {f["value"] for f in version.facts if f["source_kind"] == "survey-statistic"}
            for value in stats:
                if len(value) >= 4 and any(c.isdigit() for c in value):  # "570 mt", "3.45%"
                    assert value not in version.title + version.summary, value
            assert (
                "subscribers read the full report" in version.summary
                or "订阅用户" in version.summary
            )
            # The public title still tells the month's facts, without their figures: never
            # the fixed line a report kind would otherwise fall back on.
            assert "Production Report" not in version.title and "产量报告" not in version.title
            assert ("Declined" in version.title) or ("下降" in version.title), version.title
            assert any(value in version.body_markdown for value in stats)


def test_reports_need_released_data_and_a_writer(market: Market) -> None:
    with market.db.transaction() as session:
        with pytest.raises(service.NotFound, match="no released statistics") as unreleased:
            reports.draft_production_report(session, SURVEY, "2025-11", actor="t", now=NOW)
        with pytest.raises(service.NotFound, match="no survey") as no_survey:
            reports.draft_production_report(session, "NOPE", PERIOD, actor="t", now=NOW)
        with pytest.raises(service.NotFound, match="no released prices") as no_prices:
            reports.draft_daily_report(
                session, "precious-metals", dt.date(2026, 11, 26), actor="t", now=NOW
            )
        with pytest.raises(service.NotFound, match="no catalog group") as no_group:
            reports.draft_daily_report(session, "unobtainium", DAY, actor="t", now=NOW)
        # The field travels with the refusal; the text reads as it always did.
        assert [(e.value.problems[0].field, str(e.value)) for e in (no_survey, no_group)] == [
            ("survey", "survey: no survey 'NOPE'"),
            ("group", "group: no catalog group 'unobtainium'"),
        ]
        assert unreleased.value.problems == (
            Located(f"no released statistics for {SURVEY} 2025-11", field="period"),
        )
        assert no_prices.value.problems == (
            Located("no released prices for precious-metals on 2026-11-26", field="date"),
        )
        with pytest.raises(service.NewsroomError, match="may not draft"):
            reports.draft_daily_report(
                session, "precious-metals", DAY, actor="t", user=market.reader, now=NOW
            )
    # Before the 11:30 release the day's prices do not exist for a report either.
    with market.db.transaction() as session:
        before = NOW.replace(hour=3, minute=0)
        article = reports.draft_daily_report(
            session, "precious-metals", NOV_DAYS[1], actor="t", now=before
        )
        assert article.tier is Tier.PREMIUM
        with pytest.raises(service.NotFound, match="no released prices"):
            reports.draft_daily_report(session, "precious-metals", DAY, actor="t", now=before)


def test_daily_report_quotes_released_prices_and_the_days_corrections(market: Market) -> None:
    with market.db.transaction() as session:
        article = reports.draft_daily_report(
            session,
            "precious-metals",
            DAY,
            actor=market.desk.analyst.email,
            user=market.desk.analyst,
            now=NOW,
        )
        assert article.slug == "precious-metals-prices-2026-11-25"
        assert article.tier is Tier.PREMIUM  # the premium series is among its prices
        assert {SILVER, PREMIUM, "precious-metals", "daily"} <= {t.tag for t in article.tags}
        for lang in ("en", "zh"):
            version = service.translation(article, lang)
            assert "7,705" in version.body_markdown  # the corrected low of the 24th
            assert "a deal reported twice" in version.body_markdown
            premium_refs = {f["source_ref"] for f in version.facts if f["key"].startswith(PREMIUM)}
            assert premium_refs
            for fact in version.facts:
                if fact["source_ref"] in premium_refs:
                    public = teaser.figures(f"{version.title} {version.summary}")
                    assert not teaser.figures(fact["value"]) & public, (lang, fact)
            assert article.data_released_at is not None and article.data_released_at <= NOW


# --- revisions and publishing -----------------------------------------------------------------


def test_every_text_a_language_version_had_is_kept(desk: Desk) -> None:
    db = desk.db
    with db.transaction() as session:
        editing.store_article(session, note("kept"), actor="a@desk", user=desk.analyst, now=NOW)
    changed = note("kept", en=("Silver output falls further", "Output fell.", "Cuts deepen."))
    with db.transaction() as session:
        article, did = editing.store_article(
            session, changed, actor="a@desk", user=desk.analyst, now=NOW
        )
        assert did
        assert service.translation(article, "en").revision == 2
        assert service.translation(article, "zh").revision == 1  # unchanged: no new revision
        en = service.revisions(session, article, "en")
        assert [(r.revision, r.title) for r in en] == [
            (1, "Silver output falls"),
            (2, "Silver output falls further"),
        ]
        _, again = editing.store_article(
            session, changed, actor="a@desk", user=desk.analyst, now=NOW
        )
        assert not again
        # The search text follows the current version.
        body = session.scalar(
            select(ArticleText.body).where(
                ArticleText.article_id == article.id, ArticleText.lang == "en"
            )
        )
        assert body == "Cuts deepen."
    # Revisions are append-only in the database itself.
    for statement in ("UPDATE article_revision SET title = 'x'", "DELETE FROM article_revision"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.transaction() as session:
        assert session.scalar(select(func.count(ArticleRevision.id))) == 3


def test_writers_draft_editors_publish_now_or_later(desk: Desk) -> None:
    db = desk.db
    with db.transaction() as session:
        article, _ = editing.store_article(
            session, note("flow"), actor="a", user=desk.analyst, now=NOW
        )
        with pytest.raises(service.NewsroomError, match="may not publish"):
            publishing.publish(session, article, user=desk.analyst, now=NOW)
        with pytest.raises(service.NewsroomError, match="in the past"):
            publishing.publish(
                session, article, user=desk.editor, publish_at=NOW - dt.timedelta(hours=1), now=NOW
            )
        later = NOW + dt.timedelta(hours=2)
        publishing.publish(session, article, user=desk.editor, publish_at=later, now=NOW)
        assert article.status is ArticleStatus.SCHEDULED
        assert service.effective_status(article, NOW) is ArticleStatus.SCHEDULED
        assert not is_readable(article, NOW)
        assert is_readable(article, later)
        assert service.effective_status(article, later) is ArticleStatus.PUBLISHED
        # A scheduled article is changed by an editor only.
        changed = note("flow", en=("Changed", "Changed.", "Changed body."))
        with pytest.raises(service.Conflict, match="an editor must revise") as refused:
            editing.store_article(session, changed, actor="a", user=desk.analyst, now=NOW)
        assert refused.value.problems[0].field == "slug"
        assert str(refused.value) == f"slug: {article.slug} is scheduled; an editor must revise it"
        _, did = editing.store_article(session, changed, actor="e", user=desk.editor, now=NOW)
        assert did and article.status is ArticleStatus.SCHEDULED


def test_an_article_is_never_published_before_its_data(market: Market) -> None:
    with market.db.transaction() as session:
        article = reports.draft_daily_report(session, "precious-metals", DAY, actor="t", now=NOW)
        assert article.data_released_at is not None
        early = article.data_released_at - dt.timedelta(minutes=5)
        with pytest.raises(service.NewsroomError, match="before the data"):
            publishing.publish(
                session,
                article,
                user=market.desk.editor,
                publish_at=early,
                now=NOW,
                allow_past=True,
            )
        publishing.publish(session, article, user=market.desk.editor, now=NOW)
        assert is_readable(article, NOW)


# --- search -----------------------------------------------------------------------------------


def test_search_finds_chinese_and_english_substrings(library: Desk) -> None:
    db = library.db
    anonymous = principals(db)["anonymous"]
    # Two Chinese characters (shorter than a trigram), four, one; English in any case.
    assert set(found(db, anonymous, "白银")) == {"silver-free", "silver-premium"}
    assert found(db, anonymous, "白银产量") == ["silver-free"]
    assert found(db, anonymous, "产量下") == ["silver-free"]
    assert found(db, anonymous, "铜") == ["copper-note"]
    assert set(found(db, anonymous, "silv")) == {"silver-free", "silver-premium"}
    assert found(db, anonymous, "SILVER OUTPUT") == ["silver-free"]
    assert found(db, anonymous, "yangshan") == ["copper-note"]
    assert found(db, anonymous, "henan smelters") == ["silver-free"]  # in the body
    assert found(db, anonymous, "河南") == ["silver-free"]
    # Language versions: a Chinese word is not in the English text.
    assert found(db, anonymous, "白银", lang="en") == []
    assert set(found(db, anonymous, "silver", lang="en")) == {"silver-free", "silver-premium"}
    # Wildcards are plain characters.
    assert found(db, anonymous, "%") == [] and found(db, anonymous, "_") == []
    # Drafts never, scheduled articles from their time on.
    assert found(db, anonymous, "draft") == [] and found(db, anonymous, "草稿") == []
    assert found(db, anonymous, "定时稿") == []
    assert found(db, anonymous, "定时稿", now=NOW + dt.timedelta(hours=6)) == ["silver-scheduled"]


def test_premium_bodies_match_only_for_readers_with_the_plan(library: Desk) -> None:
    db = library.db
    who = principals(db)
    for caller in ("anonymous", "reader"):
        # Title and summary match for everyone; the body's words do not.
        assert found(db, who[caller], "升水展望") == ["silver-premium"]
        assert found(db, who[caller], "premium silver") == ["silver-premium"]
        assert found(db, who[caller], SECRET_EN) == []
        assert found(db, who[caller], SECRET_ZH) == []
        assert found(db, who[caller], "悄然") == []
    assert found(db, who["subscriber"], SECRET_EN) == ["silver-premium"]
    assert found(db, who["subscriber"], "悄然") == ["silver-premium"]
    with db.transaction() as session:
        article = service.require_article(session, "silver-premium")
        locked = service.article_view(article, "zh", who["reader"], NOW)
        assert locked["locked"] and locked["body_html"] is None and locked["generated_from"] is None
        assert SECRET_ZH not in str(locked)
        opened = service.article_view(article, "zh", who["subscriber"], NOW)
        assert not opened["locked"] and SECRET_ZH in opened["body_html"]
        assert opened["generated_from"][0]["source_ref"] == "AG-OUT/2025-10/v1#production"


def test_search_pages_by_cursor_newest_first(desk: Desk) -> None:
    db = desk.db
    for i in range(5):
        store_and_publish(
            db,
            desk,
            note(
                f"page-{i}",
                en=(f"Silver page {i}", "S.", "B."),
                zh=(f"白银第{i}页", "摘。", "文。"),
            ),
            publish_at=NOW - dt.timedelta(hours=10 - i),
        )
    anonymous = principals(db)["anonymous"]
    seen: list[str] = []
    after = None
    with db.transaction() as session:
        while True:
            rows, after = search.search_articles(
                session, anonymous, now=NOW, q="白银", limit=2, after=after
            )
            seen += [a.slug for a in rows]
            if after is None:
                break
    assert seen == [f"page-{i}" for i in range(4, -1, -1)]


def test_tag_filter(library: Desk) -> None:
    with library.db.transaction() as session:
        anonymous = accounts.anonymous_principal(session)
        rows, _ = search.search_articles(session, anonymous, now=NOW, tag="base-metals")
        assert [a.slug for a in rows] == ["copper-note"]
        rows, _ = search.search_articles(session, anonymous, now=NOW, tag=SURVEY)
        assert {a.slug for a in rows} == {"silver-free", "silver-premium", "copper-note"}


# --- the demo newsroom ------------------------------------------------------------------------


def test_demo_newsroom_publishes_every_released_period_and_recent_day(market: Market) -> None:
    db = market.db
    with db.transaction() as session:
        lines = build_newsroom(
            session, editor=market.desk.editor, analyst=market.desk.analyst, now=NOW
        )
    assert any("production" in line for line in lines)
    with db.transaction() as session:
        slugs = set(session.scalars(select(Article.slug)))
        assert {"ag-out-2025-09", "ag-out-2025-10"} <= slugs
        assert {f"precious-metals-prices-{d.isoformat()}" for d in NOV_DAYS} <= slugs
        for article in session.scalars(select(Article)):
            assert is_readable(article, NOW)
            assert article.data_released_at is not None
            assert article.publish_at == article.data_released_at
        count = session.scalar(select(func.count(ArticleRevision.id)))
    with db.transaction() as session:
        build_newsroom(session, editor=market.desk.editor, analyst=market.desk.analyst, now=NOW)
        assert session.scalar(select(func.count(ArticleRevision.id))) == count
