"""The pricing desk's common ground: which series it assesses, who may act, and its refusals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import SCOPE_ROLES
from metalwire.accounts.models import Scope, User
from metalwire.catalog.models import SeriesKind
from metalwire.errors import ServiceError

# Series whose values the engine assesses from submissions; futures settlements and indices
# come from market data and index calculation.
ASSESSED_KINDS = (SeriesKind.OUTRIGHT, SeriesKind.PREMIUM)


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
