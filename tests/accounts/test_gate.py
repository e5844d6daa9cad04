"""The gate's rules, one decision at a time (pure: no database; its SQL compiled, not run)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import aliased

from metalwire.accounts.entitlements import Entitlements
from metalwire.accounts.gate import (
    Denied,
    history_floor,
    history_start,
    is_readable,
    is_released,
    may_act,
    may_export,
    may_read_derived,
    may_read_tier,
    may_read_value,
    may_see_assessor_names,
    may_see_drafts,
    principal_for,
    released,
)
from metalwire.accounts.models import Role, Scope
from metalwire.newsroom.models import Article, ArticleStatus
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.supply.models import SurveyRelease

FREE = Entitlements.from_plan(
    "free", {"tiers": ["free"], "history_days": 30, "export": False, "rate_limit_per_minute": 60}
)
SUBSCRIBER = Entitlements.from_plan(
    "subscriber",
    {
        "tiers": ["free", "premium"],
        "history_days": 1830,
        "export": True,
        "rate_limit_per_minute": 600,
    },
)
NOW = dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.UTC)  # 11:30 in Shanghai
TODAY = dt.date(2026, 11, 26)


def anonymous():  # type: ignore[no-untyped-def]
    return principal_for(None, None, Role.READER, FREE)


def value(principal, *, tier="free", release_at=NOW, market_date=TODAY):  # type: ignore[no-untyped-def]
    return may_read_value(
        principal,
        tier=tier,
        group="precious-metals",
        market_date=market_date,
        release_at=release_at,
        now=NOW,
        today=TODAY,
    )


def test_nothing_is_visible_before_its_release_instant_whoever_asks() -> None:
    later = NOW + dt.timedelta(seconds=1)
    for role in Role:
        principal = principal_for(1, "x@y.z", role, SUBSCRIBER)
        assert value(principal, release_at=later).reason is Denied.EMBARGO
        assert value(principal, release_at=None).reason is Denied.EMBARGO
        assert value(principal, release_at=NOW).allowed
    assert is_released(NOW, NOW) and not is_released(later, NOW)


def test_free_readers_see_free_series_of_the_last_30_days_only() -> None:
    assert value(anonymous()).allowed
    assert value(anonymous(), tier="premium").reason is Denied.TIER
    old = TODAY - dt.timedelta(days=31)
    assert value(anonymous(), market_date=old).reason is Denied.HISTORY
    assert value(anonymous(), market_date=TODAY - dt.timedelta(days=30)).allowed
    assert history_floor(anonymous(), TODAY) == TODAY - dt.timedelta(days=30)


def test_subscribers_see_premium_and_five_years() -> None:
    subscriber = principal_for(2, "s@x.io", Role.SUBSCRIBER, SUBSCRIBER)
    assert value(subscriber, tier="premium").allowed
    assert value(subscriber, market_date=TODAY - dt.timedelta(days=1831)).reason is Denied.HISTORY
    assert may_export(subscriber) and not may_export(anonymous())


def test_staff_read_everything_released_whatever_their_plan() -> None:
    analyst = principal_for(3, "a@x.io", Role.ANALYST, FREE)
    assert value(analyst, tier="premium", market_date=dt.date(2006, 1, 2)).allowed
    assert may_see_drafts(analyst) and not may_see_drafts(
        principal_for(2, "s", Role.SUBSCRIBER, SUBSCRIBER)
    )


def test_groups_can_be_restricted_by_plan() -> None:
    metals_only = Entitlements.from_plan(
        "metals-only", {"tiers": ["free"], "groups": ["base-metals"], "rate_limit_per_minute": 1}
    )
    principal = principal_for(4, "g@x.io", Role.READER, metals_only)
    assert may_read_tier(principal, "free", "base-metals").allowed
    assert may_read_tier(principal, "free", "precious-metals").reason is Denied.GROUP


@pytest.mark.parametrize(
    ("role", "scope", "needed", "allowed"),
    [
        (Role.READER, None, Scope.READ, True),
        (Role.READER, None, Scope.SUBMIT, False),
        (Role.ANALYST, None, Scope.SUBMIT, True),
        (Role.ANALYST, Scope.READ, Scope.SUBMIT, False),  # a read key of an analyst cannot submit
        (Role.ANALYST, None, Scope.PUBLISH, False),
        (Role.EDITOR, Scope.PUBLISH, Scope.PUBLISH, True),
        (Role.EDITOR, Scope.SUBMIT, Scope.PUBLISH, False),
        (Role.ADMIN, None, Scope.PUBLISH, True),
    ],
)
def test_write_actions_need_role_and_key_scope(
    role: Role, scope: Scope | None, needed: Scope, allowed: bool
) -> None:
    principal = principal_for(5, "w@x.io", role, FREE, key_id=1 if scope else None, scope=scope)
    assert may_act(principal, needed).allowed is allowed


def test_anonymous_can_never_act() -> None:
    assert may_act(anonymous(), Scope.READ).reason is Denied.ROLE


def _sql(clause) -> str:  # type: ignore[no-untyped-def]
    return str(clause.compile(compile_kwargs={"literal_binds": True}))


def test_released_is_the_embargo_as_sql_on_every_versioned_table() -> None:
    assert _sql(released(Assessment, NOW)) == (
        "assessment.status = 'approved' AND assessment.release_at <= '2026-11-26 03:30:00'"
    )
    # Articles keep their instant in publish_at; the gate reads it by the one name release_at.
    assert _sql(released(Article, NOW)) == (
        "article.status IN ('published', 'scheduled') "
        "AND article.publish_at <= '2026-11-26 03:30:00'"
    )
    newer = aliased(Assessment, name="newer")
    assert _sql(released(newer, NOW)) == (
        "newer.status = 'approved' AND newer.release_at <= '2026-11-26 03:30:00'"
    )
    # Survey releases have no status a reader may not see: the instant alone.
    assert _sql(released(SurveyRelease, NOW)) == (
        "survey_release.release_at <= '2026-11-26 03:30:00'"
    )


def test_is_readable_is_released_for_one_row() -> None:
    later = NOW + dt.timedelta(seconds=1)
    approved = Assessment(status=AssessmentStatus.APPROVED, release_at=NOW)
    assert is_readable(approved, NOW)
    assert not is_readable(Assessment(status=AssessmentStatus.APPROVED, release_at=later), NOW)
    assert not is_readable(Assessment(status=AssessmentStatus.DRAFT, release_at=NOW), NOW)
    assert not is_readable(Assessment(status=AssessmentStatus.APPROVED, release_at=None), NOW)
    assert is_readable(Article(status=ArticleStatus.SCHEDULED, publish_at=NOW), NOW)
    assert not is_readable(Article(status=ArticleStatus.DRAFT, publish_at=NOW), NOW)


def test_history_start_is_the_later_of_the_request_and_the_plan_floor() -> None:
    free = anonymous()
    staff = principal_for(1, "a@b.c", Role.ANALYST, FREE)
    floor = TODAY - dt.timedelta(days=30)
    assert history_start(free, None, TODAY) == floor
    assert history_start(free, dt.date(2020, 1, 1), TODAY) == floor
    assert history_start(free, TODAY, TODAY) == TODAY
    assert history_start(staff, None, TODAY) is None
    assert history_start(staff, dt.date(2020, 1, 1), TODAY) == dt.date(2020, 1, 1)


def test_a_derived_figure_needs_its_own_tier_and_every_input() -> None:
    free = anonymous()
    subscriber = principal_for(2, "s@b.c", Role.READER, SUBSCRIBER)
    inputs = [("free", "precious-metals"), ("premium", "precious-metals")]
    assert may_read_derived(free, "free", None, inputs).reason is Denied.TIER
    assert may_read_derived(free, "premium", None).reason is Denied.TIER
    assert may_read_derived(free, "free", None, inputs[:1]).allowed
    assert may_read_derived(subscriber, "free", None, inputs).allowed


def test_assessor_names_are_for_staff_only() -> None:
    assert not may_see_assessor_names(anonymous())
    assert not may_see_assessor_names(principal_for(2, "s@b.c", Role.READER, SUBSCRIBER))
    for role in (Role.ANALYST, Role.EDITOR, Role.ADMIN):
        assert may_see_assessor_names(principal_for(3, "x@b.c", role, FREE))
