"""The pricing desk's common ground: which series it assesses, who may act, and its refusals."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import SCOPE_ROLES
from metalwire.accounts.models import Scope, User
from metalwire.catalog.models import PriceSeries, SeriesKind, SeriesStatus
from metalwire.errors import ServiceError
from metalwire.pricing.methodology import licensed_families

# Series whose values the engine assesses from submissions; futures settlements and indices
# come from market data and index calculation.
ASSESSED_KINDS = (SeriesKind.OUTRIGHT, SeriesKind.PREMIUM)


def assessed_conditions() -> list[ColumnElement[bool]]:
    """The series the engine assesses: active, of an assessed kind, and not licensed (a partner's
    values are entered as delivered: pricing/partner.py)."""
    return [
        PriceSeries.status == SeriesStatus.ACTIVE,
        PriceSeries.kind.in_(ASSESSED_KINDS),
        PriceSeries.methodology.not_in(licensed_families()),
    ]


class PricingError(ServiceError):
    """A refused pricing operation; the message says which field or rule."""


def require_role(user: User, scope: Scope, what: str) -> None:
    if user.role not in SCOPE_ROLES[scope]:
        raise PricingError(f"{user.email} ({user.role.value}) may not {what}", field="user")


def users_by_email(session: Session, email: str) -> User:
    user: User | None = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise PricingError(f"no user {email!r}", field="user")
    return user
