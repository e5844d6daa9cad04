"""Account operations, each inside the caller's transaction and recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from metalwire.accounts.credentials import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    same,
    token_hash,
    verify_password,
)
from metalwire.accounts.entitlements import Entitlements, PlanSpec
from metalwire.accounts.gate import SCOPE_ROLES, Principal, principal_for
from metalwire.accounts.models import (
    ApiKey,
    LoginAttempt,
    PasswordResetToken,
    Plan,
    Role,
    Scope,
    User,
    WebSession,
)
from metalwire.audit import record, upsert
from metalwire.catalog.service import SyncResult
from metalwire.db.base import utcnow
from metalwire.db.constants import written_constant
from metalwire.errors import ServiceError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SESSION_LIFETIME = dt.timedelta(days=14)
RESET_LIFETIME = dt.timedelta(hours=1)
# Sign-in throttling (OWASP ASVS 2.2): failures are counted per client address and e-mail, per
# client address over all e-mails, and per e-mail over all addresses. Past each threshold the
# next attempt waits, doubling with every further failure (1 s, 2 s, 4 s ... up to the window),
# counted from the last failure. The per-e-mail count only ever delays clients that failed for
# that e-mail themselves: someone guessing from elsewhere never locks the owner out.
THROTTLE_FAILURES = 5  # per address and e-mail
THROTTLE_ADDRESS_FAILURES = 20  # per address, over all e-mails
THROTTLE_ACCOUNT_FAILURES = 50  # per e-mail, over all addresses
THROTTLE_WINDOW = dt.timedelta(minutes=15)
THROTTLE_BASE = dt.timedelta(seconds=1)
KEY_PREFIX = "mw"


class AccountError(ServiceError):
    """Bad input to an account operation; ``field=`` names the field."""


class SignInThrottled(Exception):
    """Too many failed sign-ins for this e-mail in the throttle window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


# --- plans -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_plan_specs() -> list[PlanSpec]:
    text = resources.files("metalwire.accounts").joinpath("data/plans.yaml").read_text("utf-8")
    return [PlanSpec.model_validate(item) for item in yaml.safe_load(text)["plans"]]


def sync_plans(session: Session, actor: str = "system") -> SyncResult:
    """Bring the plan table in line with the packaged plans; idempotent."""
    result = SyncResult()
    existing = {p.code: p for p in session.scalars(select(Plan))}
    for spec in load_plan_specs():
        values = {
            "name_en": spec.name_en,
            "name_zh": spec.name_zh,
            "entitlements": spec.entitlements(),
        }
        _, done = upsert(
            session,
            actor=actor,
            existing=existing.get(spec.code),
            model=Plan,
            values=values,
            object_id=spec.code,
            identity={"code": spec.code},
        )
        result.created += done == "create"
        result.updated += done == "update"
    return result


def plan_entitlements(plan: Plan) -> Entitlements:
    return Entitlements.from_plan(plan.code, plan.entitlements)


def anonymous_principal(session: Session) -> Principal:
    free = session.get(Plan, "free")
    if free is None:
        raise AccountError("the 'free' plan is missing; run `metalwire db upgrade`", field="plan")
    return principal_for(None, None, Role.READER, plan_entitlements(free))


def principal_of(user: User, *, key: ApiKey | None = None) -> Principal:
    return principal_for(
        user.id,
        user.email,
        user.role,
        plan_entitlements(user.plan),
        key_id=key.id if key else None,
        scope=key.scope if key else None,
    )


# --- users -------------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise AccountError(f"not an e-mail address: {email!r}", field="email")
    return email


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"must be at least {MIN_PASSWORD_LENGTH} characters", field="password")


def get_user(session: Session, email: str) -> User | None:
    user: User | None = session.scalar(select(User).where(User.email == email.strip().lower()))
    return user


def require_user(session: Session, email: str) -> User:
    user = get_user(session, email)
    if user is None:
        raise AccountError(f"no user {email!r}", field="email")
    return user


def require_plan(session: Session, plan: str) -> Plan:
    row = session.get(Plan, plan)
    if row is None:
        known = ", ".join(sorted(session.scalars(select(Plan.code))))
        raise AccountError(f"unknown plan {plan!r}; known: {known}", field="plan")
    return row


def add_user(
    session: Session,
    email: str,
    *,
    role: Role = Role.READER,
    plan: str = "free",
    password: str | None = None,
    actor: str,
) -> User:
    email = normalize_email(email)
    if get_user(session, email) is not None:
        raise AccountError(f"a user {email!r} already exists", field="email")
    require_plan(session, plan)
    if password is not None:
        check_password_rules(password)
    user = User(
        email=email,
        role=role,
        plan_code=plan,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        object_type="user",
        object_id=email,
        after={"role": role, "plan": plan},
    )
    return user


def set_role(session: Session, email: str, role: Role, *, actor: str) -> User:
    user = require_user(session, email)
    before = user.role
    user.role = role
    _record_setting(session, user, "role", before, role, actor=actor)
    return user


def set_plan(session: Session, email: str, plan: str, *, actor: str) -> User:
    user = require_user(session, email)
    require_plan(session, plan)
    before = user.plan_code
    user.plan_code = plan
    session.flush()
    session.refresh(user)
    _record_setting(session, user, "plan", before, plan, actor=actor)
    return user


def _record_setting(
    session: Session, user: User, setting: str, before: Any, after: Any, *, actor: str
) -> None:
    """Audits a change of one of a user's settings as ``set-<setting>``, old and new value."""
    record(
        session,
        actor=actor,
        action=f"set-{setting}",
        object_type="user",
        object_id=user.email,
        before={setting: before},
        after={setting: after},
    )


def set_password(session: Session, user: User, password: str, *, actor: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)
    record(session, actor=actor, action="set-password", object_type="user", object_id=user.email)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


# --- sign-in, sessions ---------------------------------------------------------------------------


def _back_off(failures: list[dt.datetime], threshold: int, now: dt.datetime) -> float:
    """Seconds to wait: none below ``threshold`` failures, then 1 s doubling with each one more,
    at most the window, from the last failure."""
    if len(failures) < threshold:
        return 0.0
    doubled: dt.timedelta = THROTTLE_BASE * 2 ** min(len(failures) - threshold, 20)
    wait: dt.timedelta = max(failures) + min(doubled, THROTTLE_WINDOW) - now
    return max(0.0, wait.total_seconds())


def authenticate(session: Session, email: str, password: str, *, address: str = "") -> User | None:
    """Check a password; throttled as THROTTLE_* say (per address and e-mail, per address, per
    e-mail for clients that failed for it)."""
    email = email.strip().lower()
    now = utcnow()
    since = now - THROTTLE_WINDOW
    recent = session.execute(
        select(LoginAttempt.email, LoginAttempt.address, LoginAttempt.at).where(
            LoginAttempt.at >= since,
            (LoginAttempt.email == email) | (LoginAttempt.address == address),
        )
    ).all()
    pair = [at for e, a, at in recent if e == email and a == address]
    from_address = [at for _, a, at in recent if a == address]
    for_account = [at for e, _, at in recent if e == email]
    wait = max(
        _back_off(pair, THROTTLE_FAILURES, now),
        _back_off(from_address, THROTTLE_ADDRESS_FAILURES, now),
        _back_off(for_account, THROTTLE_ACCOUNT_FAILURES, now) if pair else 0.0,
    )
    if wait > 0:
        raise SignInThrottled(max(1, math.ceil(wait)))
    user = get_user(session, email)
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        session.add(LoginAttempt(email=email, address=address, at=now))
        return None
    # This client knows the password: its own failures are forgiven, nobody else's.
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.address == address)
    )
    return user


def start_session(session: Session, user: User) -> str:
    """Returns the cookie value; only its hash is stored."""
    token = new_token()
    session.add(
        WebSession(
            token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + SESSION_LIFETIME
        )
    )
    record(session, actor=user.email, action="sign-in", object_type="user", object_id=user.email)
    return token


def session_user(session: Session, token: str) -> User | None:
    row = session.get(WebSession, token_hash(token))
    if row is None or not _session_is_live(row.expires_at, row.user.is_active):
        return None
    return row.user


def _session_is_live(expires_at: dt.datetime, user_active: bool) -> bool:
    return expires_at > utcnow() and user_active


def end_session(session: Session, token: str) -> None:
    row = session.get(WebSession, token_hash(token))
    if row is not None:
        record(
            session,
            actor=row.user.email,
            action="sign-out",
            object_type="user",
            object_id=row.user.email,
        )
        session.delete(row)


# --- password reset ----------------------------------------------------------------------------


def request_password_reset(session: Session, email: str) -> tuple[User, str] | None:
    """A one-hour single-use token for a known user; None (and no hint) for an unknown e-mail."""
    user = get_user(session, email)
    if user is None or not user.is_active:
        return None
    token = new_token()
    session.add(
        PasswordResetToken(
            token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + RESET_LIFETIME
        )
    )
    record(
        session,
        actor=user.email,
        action="request-password-reset",
        object_type="user",
        object_id=user.email,
    )
    return user, token


def complete_password_reset(session: Session, token: str, password: str) -> User:
    row = session.get(PasswordResetToken, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise AccountError("this reset link is invalid or has expired", field="token")
    user = session.get(User, row.user_id)
    assert user is not None
    set_password(session, user, password, actor=user.email)
    row.used_at = utcnow()
    # A reset signs out every browser: whoever knew the old password loses access.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


# --- API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # the full key, shown once


def create_api_key(
    session: Session, email: str, scope: Scope, *, name: str = "", actor: str
) -> NewApiKey:
    user = require_user(session, email)
    if user.role not in SCOPE_ROLES[scope]:
        raise AccountError(f"a {user.role.value} may not hold a {scope.value!r} key", field="scope")
    prefix = new_token(6)[:8].replace("-", "x").replace("_", "y")
    secret = new_token(24)
    key = ApiKey(
        user_id=user.id, prefix=prefix, secret_hash=token_hash(secret), scope=scope, name=name
    )
    session.add(key)
    session.flush()
    record(
        session,
        actor=actor,
        action="create-api-key",
        object_type="api_key",
        object_id=key.id,
        after={"user": user.email, "scope": scope, "prefix": prefix},
    )
    return NewApiKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")


def revoke_api_key(session: Session, key_id: int, *, actor: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise AccountError(f"no API key with id {key_id}", field="key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(
            session,
            actor=actor,
            action="revoke-api-key",
            object_type="api_key",
            object_id=key.id,
            after={"revoked_at": key.revoked_at},
        )
    return key


# A key's last use is recorded at most once a minute: a write on every request would cost more
# than the request.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


def split_key(presented: str) -> tuple[str, str] | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    return parts[1], parts[2]


def _is_live(secret_hash: str, revoked_at: object, user_active: bool, secret: str) -> bool:
    return revoked_at is None and user_active and same(secret_hash, token_hash(secret))


def needs_marking(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    return last_used_at is None or now - last_used_at > LAST_USED_GRANULARITY


def resolve_api_key(session: Session, presented: str) -> ApiKey | None:
    """The live key for a presented ``mw_<prefix>_<secret>``, marking it used (once a minute)."""
    split = split_key(presented)
    if split is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == split[0]))
    if key is None or not _is_live(key.secret_hash, key.revoked_at, key.user.is_active, split[1]):
        return None
    now = utcnow()
    if needs_marking(key.last_used_at, now):
        key.last_used_at = now
    return key


@dataclass(frozen=True)
class KeyHolder:
    principal: Principal
    last_used_at: dt.datetime | None


# Built once: building a statement costs more than running it on the API's fast path.
KEY_HOLDER = (
    select(
        ApiKey.id,
        ApiKey.secret_hash,
        ApiKey.scope,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        User.id,
        User.email,
        User.role,
        User.is_active,
        Plan.code,
        cast(Plan.entitlements, Text),  # as stored: the text is the parsed plan's cache key
    )
    .join(User, User.id == ApiKey.user_id)
    .join(Plan, Plan.code == User.plan_code)
    .where(ApiKey.prefix == bindparam("prefix"))
)
# "free" written into the SQL, not bound (db/constants.py).
FREE_PLAN = select(cast(Plan.entitlements, Text)).where(Plan.code == written_constant("free"))


# What resolve_api_key writes once a minute, for a path that read the key in one statement.
MARK_USED = (
    update(ApiKey).where(ApiKey.id == bindparam("key_id")).values(last_used_at=bindparam("used_at"))
)


def mark_used(connection: Connection, key_id: int, used_at: dt.datetime) -> None:
    connection.execute(MARK_USED, {"key_id": key_id, "used_at": used_at})


def key_holder(connection: Connection, presented: str) -> KeyHolder | None:
    """The principal behind a live key in one statement, without marking it used: for read
    paths that hand the marking (once a minute) to resolve_api_key."""
    split = split_key(presented)
    if split is None:
        return None
    row = connection.execute(KEY_HOLDER, {"prefix": split[0]}).one_or_none()
    return None if row is None else holder_of(tuple(row), split[1])


def holder_of(row: tuple[Any, ...], secret: str) -> KeyHolder | None:
    """A KEY_HOLDER row, checked against the presented secret."""
    if not _is_live(row[1], row[3], row[8], secret):
        return None
    entitlements = cached_entitlements(row[9], row[10])
    principal = principal_for(
        row[5], row[6], Role(row[7]), entitlements, key_id=row[0], scope=Scope(row[2])
    )
    return KeyHolder(principal, row[4])


def anonymous_principal_of(entitlements_text: str) -> Principal:
    """The anonymous visitor, from a FREE_PLAN row."""
    return principal_for(None, None, Role.READER, cached_entitlements("free", entitlements_text))


@dataclass(frozen=True)
class SessionHolder:
    """The signed-in reader behind a session cookie, as the pages see them."""

    principal: Principal
    colour_convention: str | None  # as stored; the pages keep only the known conventions


# The reader behind a session, with what their pages show of them, in one statement: what
# ``session_user`` and ``principal_of`` decide, for the shared signed-in pages' fast path.
SESSION_HOLDER = (
    select(
        WebSession.expires_at,
        User.id,
        User.email,
        User.role,
        User.is_active,
        User.colour_convention,
        Plan.code,
        cast(Plan.entitlements, Text),
    )
    .join(User, User.id == WebSession.user_id)
    .join(Plan, Plan.code == User.plan_code)
    .where(WebSession.token_hash == bindparam("token_hash"))
)


def session_holder_of(row: tuple[Any, ...]) -> SessionHolder | None:
    """A SESSION_HOLDER row (its first eight columns) as ``session_user`` would judge it: None
    for an unknown, expired or deactivated one."""
    if not _session_is_live(row[0], row[4]):
        return None
    entitlements = cached_entitlements(row[6], row[7])
    return SessionHolder(principal_for(row[1], row[2], Role(row[3]), entitlements), row[5])


@lru_cache(maxsize=256)
def cached_entitlements(code: str, data: str) -> Entitlements:
    """Parsed once per plan version: the plan's data is the cache key, so a changed plan reads
    anew."""
    return Entitlements.from_plan(code, json.loads(data))


def user_api_keys(session: Session, user: User) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at.desc())
        )
    )


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count(User.id))) or 0)
