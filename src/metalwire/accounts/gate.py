"""The access gate: the one place that decides who may see what, and whether it is released yet.

Every read path — API routes, pages, exports, feeds, search, charts, alerts — asks this module;
none re-implements a rule. Pure: principals and resources in, decisions out, and the same rules
as SQL clauses (``released``) for the queries that must not fetch what a reader may not see.
Nothing outside this module compares a release instant with a time (tests/test_gate_only.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_

from metalwire.accounts.entitlements import STAFF_ENTITLEMENTS, Entitlements
from metalwire.accounts.models import Role, Scope
from metalwire.catalog.models import PriceSeries

STAFF_ROLES = frozenset({Role.ANALYST, Role.EDITOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (by session or API key) or an anonymous visitor."""

    user_id: int | None
    email: str | None
    role: Role
    entitlements: Entitlements
    key_id: int | None = None
    scope: Scope | None = None  # the API key's scope; None for browser sessions

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def client_id(self) -> str:
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return "anonymous"


def principal_for(
    user_id: int | None,
    email: str | None,
    role: Role,
    plan_entitlements: Entitlements,
    *,
    key_id: int | None = None,
    scope: Scope | None = None,
) -> Principal:
    entitlements = STAFF_ENTITLEMENTS if role in STAFF_ROLES else plan_entitlements
    return Principal(user_id, email, role, entitlements, key_id, scope)


class Denied(enum.StrEnum):
    """Why something is withheld; the web layer maps these to 401/403/404."""

    EMBARGO = "embargo"  # not released yet: must look exactly like "does not exist"
    TIER = "tier"
    GROUP = "group"
    HISTORY = "history"
    EXPORT = "export"
    ROLE = "role"
    SCOPE = "scope"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Denied | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def is_released(release_at: dt.datetime | None, now: dt.datetime) -> bool:
    """The embargo: a value exists for readers only from its release instant on."""
    return release_at is not None and release_at <= now


def released(row: Any, as_of: dt.datetime) -> ColumnElement[bool]:
    """The embargo as SQL, for any table (or alias of one) whose rows readers see from their
    release instant on: an assessment version, a survey release, an article. Where the model
    names the statuses a reader may ever see (``READABLE_STATUSES``: an approved assessment, a
    scheduled or published article), the row must be in one of them too. A row without a
    release instant (NULL) is never released: the comparison is not true."""
    clause: ColumnElement[bool] = row.release_at <= as_of
    readable = getattr(row, "READABLE_STATUSES", None)
    if readable is None:
        return clause
    statuses = sorted(readable)
    status_clause = row.status == statuses[0] if len(statuses) == 1 else row.status.in_(statuses)
    return and_(status_clause, clause)


def is_readable(row: Any, now: dt.datetime) -> bool:
    """``released`` for one loaded row."""
    readable = getattr(row, "READABLE_STATUSES", None)
    if readable is not None and row.status not in readable:
        return False
    return is_released(row.release_at, now)


def may_read_tier(principal: Principal, tier: str, group: str | None = None) -> Decision:
    """Entitlement to a series, survey or article body of this tier (and catalog group)."""
    if tier not in principal.entitlements.tiers:
        return Decision(False, Denied.TIER)
    groups = principal.entitlements.groups
    if groups is not None and group is not None and group not in groups:
        return Decision(False, Denied.GROUP)
    return ALLOW


def history_floor(principal: Principal, today: dt.date) -> dt.date | None:
    """The earliest market date the principal may read; None means no limit."""
    days = principal.entitlements.history_days
    return None if days is None else today - dt.timedelta(days=days)


def history_start(principal: Principal, start: dt.date | None, today: dt.date) -> dt.date | None:
    """The first market date a history asked from ``start`` may show: the later of ``start``
    and the plan's floor; None means from the beginning."""
    floor = history_floor(principal, today)
    if floor is None:
        return start
    return max(start, floor) if start else floor


Input = tuple[str, str | None]  # an input series' (tier, catalog group)


def may_read_derived(
    principal: Principal, tier: str, group: str | None, inputs: Iterable[Input] = ()
) -> Decision:
    """A figure computed from series (an arbitrage window, an index, an instrument's data):
    readable by whoever may read its own tier and group and every input it is computed from,
    so that no derived number reveals a series above the reader's plan."""
    decision = may_read_tier(principal, tier, group)
    if not decision:
        return decision
    for input_tier, input_group in inputs:
        decision = may_read_tier(principal, input_tier, input_group)
        if not decision:
            return decision
    return ALLOW


def may_see_assessor_names(principal: Principal) -> Decision:
    """Personal data: who assessed or approved a price is named to the desk's staff only;
    readers see the role."""
    return ALLOW if principal.is_staff else Decision(False, Denied.ROLE)


def may_read_desk_statistics(principal: Principal) -> Decision:
    """The desk's own figures — methodology compliance, contributors named with their quality
    statistics — are for its staff only; readers see contributor codes."""
    return ALLOW if principal.is_staff else Decision(False, Denied.ROLE)


def may_read_value(
    principal: Principal,
    *,
    tier: str,
    group: str | None,
    market_date: dt.date,
    release_at: dt.datetime | None,
    now: dt.datetime,
    today: dt.date,
) -> Decision:
    """One published value (price, statistic, index point): embargo, entitlement and history."""
    if not is_released(release_at, now):
        return Decision(False, Denied.EMBARGO)
    tier_decision = may_read_tier(principal, tier, group)
    if not tier_decision:
        return tier_decision
    floor = history_floor(principal, today)
    if floor is not None and market_date < floor:
        return Decision(False, Denied.HISTORY)
    return ALLOW


def may_read_series_value(
    principal: Principal,
    series: PriceSeries,
    market_date: dt.date,
    release_at: dt.datetime | None,
    now: dt.datetime,
) -> Decision:
    """``may_read_value`` for a value of a price series: its tier and catalog group from the
    series, today from ``now``."""
    return may_read_value(
        principal,
        tier=series.tier.value,
        group=series.commodity.entry.group.code,
        market_date=market_date,
        release_at=release_at,
        now=now,
        today=now.date(),
    )


def may_export(principal: Principal) -> Decision:
    return ALLOW if principal.entitlements.export else Decision(False, Denied.EXPORT)


def may_see_drafts(principal: Principal) -> Decision:
    """Unreleased work (drafts, pending approvals) is for the desk's staff only."""
    return ALLOW if principal.is_staff else Decision(False, Denied.ROLE)


def may_read_complaint(principal: Principal, complainant_id: int) -> Decision:
    """A complaint is its complainant's and the desk's: no other reader learns it exists."""
    if principal.is_staff or (
        principal.user_id is not None and principal.user_id == complainant_id
    ):
        return ALLOW
    return Decision(False, Denied.ROLE)


# Which roles may act, per API scope; a key's scope can never exceed its user's role.
SCOPE_ROLES: dict[Scope, frozenset[Role]] = {
    Scope.READ: frozenset(Role),
    Scope.SUBMIT: frozenset({Role.ANALYST, Role.EDITOR, Role.ADMIN}),
    Scope.PUBLISH: frozenset({Role.EDITOR, Role.ADMIN}),
}
SCOPE_ORDER = {Scope.READ: 0, Scope.SUBMIT: 1, Scope.PUBLISH: 2}


def may_act(principal: Principal, needed: Scope) -> Decision:
    """Write actions: the role must allow the scope, and an API key must carry it."""
    if principal.is_anonymous or principal.role not in SCOPE_ROLES[needed]:
        return Decision(False, Denied.ROLE)
    if principal.scope is not None and SCOPE_ORDER[principal.scope] < SCOPE_ORDER[needed]:
        return Decision(False, Denied.SCOPE)
    return ALLOW
