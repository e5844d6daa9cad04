"""The access gate: the one place that decides who may see what, and whether it is released yet.

Every read path — API routes, pages, exports, feeds, search, charts, alerts — asks this module;
none re-implements a rule. Pure: principals and resources in, decisions out.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from metalwire.accounts.entitlements import STAFF_ENTITLEMENTS, Entitlements
from metalwire.accounts.models import Role, Scope

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


def may_export(principal: Principal) -> Decision:
    return ALLOW if principal.entitlements.export else Decision(False, Denied.EXPORT)


def may_see_drafts(principal: Principal) -> Decision:
    """Unreleased work (drafts, pending approvals) is for the desk's staff only."""
    return ALLOW if principal.is_staff else Decision(False, Denied.ROLE)


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
