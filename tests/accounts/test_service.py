"""Account operations on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from metalwire.accounts import service
from metalwire.accounts.models import LoginAttempt, PasswordResetToken, Role, Scope, User
from metalwire.audit import AuditEvent
from metalwire.db.base import utcnow
from tests.conftest import ScratchDatabase

PASSWORD = "correct horse battery"


def test_add_user_hashes_the_password_and_audits(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(
            session,
            "Ana@Example.com",
            role=Role.ANALYST,
            plan="subscriber",
            password=PASSWORD,
            actor="admin",
        )
    with db.transaction() as session:
        user = session.scalars(select(User)).one()
        assert user.email == "ana@example.com"
        assert user.password_hash and PASSWORD not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user")).all()
        assert [(e.actor, e.action) for e in events] == [("admin", "create")]


@pytest.mark.parametrize(
    ("email", "plan", "password", "message"),
    [
        ("not-an-email", "free", None, "email: not an e-mail address"),
        ("a@b.io", "platinum", None, "plan: unknown plan 'platinum'"),
        ("a@b.io", "free", "short", "password: must be at least 10 characters"),
    ],
)
def test_bad_input_names_the_field(
    db: ScratchDatabase, email: str, plan: str, password: str | None, message: str
) -> None:
    with pytest.raises(service.AccountError, match=message), db.transaction() as session:
        service.add_user(session, email, plan=plan, password=password, actor="t")
    with db.transaction() as session:
        assert session.scalars(select(User)).all() == []


def test_sign_in_is_throttled_after_five_failures(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "t@x.io", password=PASSWORD, actor="t")
    for _ in range(5):
        with db.transaction() as session:
            assert service.authenticate(session, "t@x.io", "wrong password") is None
    with pytest.raises(service.SignInThrottled) as caught, db.transaction() as session:
        service.authenticate(session, "t@x.io", PASSWORD)  # even the right password waits
    assert 0 < caught.value.retry_after <= 15 * 60


def test_a_success_clears_earlier_failures(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "t@x.io", password=PASSWORD, actor="t")
    for _ in range(4):
        with db.transaction() as session:
            service.authenticate(session, "t@x.io", "nope nope nope")
    with db.transaction() as session:
        assert service.authenticate(session, "t@x.io", PASSWORD) is not None
    for _ in range(4):
        with db.transaction() as session:
            service.authenticate(session, "t@x.io", "nope nope nope")
    with db.transaction() as session:
        assert service.authenticate(session, "t@x.io", PASSWORD) is not None


def test_api_keys_are_stored_hashed_scoped_and_revocable(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "q@x.io", role=Role.ANALYST, plan="enterprise", actor="t")
        new = service.create_api_key(session, "q@x.io", Scope.SUBMIT, actor="t")
        key_id = new.key.id
        assert new.secret.startswith(f"mw_{new.key.prefix}_")
        assert new.secret.split("_", 2)[2] not in new.key.secret_hash
    with db.transaction() as session:
        key = service.resolve_api_key(session, new.secret)
        assert key is not None and key.scope is Scope.SUBMIT and key.last_used_at is not None
        # One character changed (a secret may end in "x" already: 1 run in 64 it did, and the
        # "wrong" secret was the right one).
        wrong = new.secret[:-1] + ("y" if new.secret.endswith("x") else "x")
        assert service.resolve_api_key(session, wrong) is None
        assert service.resolve_api_key(session, "garbage") is None
    with db.transaction() as session:
        service.revoke_api_key(session, key_id, actor="t")
    with db.transaction() as session:
        assert service.resolve_api_key(session, new.secret) is None


def test_a_key_cannot_exceed_its_users_role(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "r@x.io", role=Role.READER, actor="t")
    with pytest.raises(service.AccountError, match="scope: a reader may not hold a 'publish' key"):
        with db.transaction() as session:
            service.create_api_key(session, "r@x.io", Scope.PUBLISH, actor="t")


def test_password_reset_token_is_single_use_and_expires(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "p@x.io", password=PASSWORD, actor="t")
        issued = service.request_password_reset(session, "p@x.io")
        assert service.request_password_reset(session, "nobody@x.io") is None
    assert issued is not None
    _, token = issued
    with db.transaction() as session:
        service.complete_password_reset(session, token, "a brand new password")
    with db.transaction() as session:
        assert service.authenticate(session, "p@x.io", "a brand new password") is not None
    with pytest.raises(service.AccountError, match="invalid or has expired"):
        with db.transaction() as session:
            service.complete_password_reset(session, token, "another new password")
    with db.transaction() as session:
        issued = service.request_password_reset(session, "p@x.io")
        assert issued is not None
        for row in session.scalars(select(PasswordResetToken)):
            row.expires_at = utcnow() - dt.timedelta(seconds=1)
    with pytest.raises(service.AccountError, match="invalid or has expired"):
        with db.transaction() as session:
            service.complete_password_reset(session, issued[1], "yet another password")


def test_many_e_mails_from_one_address_are_throttled(db: ScratchDatabase) -> None:
    """Issue #13 finding 5: 30 different e-mails from one address were never throttled."""
    refused = 0
    for n in range(30):
        try:
            with db.transaction() as session:
                service.authenticate(session, f"guess{n}@x.io", "wrong password", address="6.6.6.6")
        except service.SignInThrottled:
            refused += 1
    assert refused >= 30 - service.THROTTLE_ADDRESS_FAILURES
    with db.transaction() as session:  # another client is not affected
        assert service.authenticate(session, "guess1@x.io", "wrong", address="1.2.3.4") is None


def test_failures_from_elsewhere_never_lock_out_the_owner(db: ScratchDatabase) -> None:
    """Five (or fifty) wrong passwords from an attacker's address used to lock the owner out:
    the right password then got 429."""
    with db.transaction() as session:
        service.add_user(session, "t@x.io", password=PASSWORD, actor="t")
    for n in range(service.THROTTLE_ACCOUNT_FAILURES + 5):
        try:
            with db.transaction() as session:
                service.authenticate(session, "t@x.io", "wrong password", address=f"9.9.{n}.9")
        except service.SignInThrottled:
            pass
    with db.transaction() as session:
        assert service.authenticate(session, "t@x.io", PASSWORD, address="10.0.0.1") is not None


def test_the_wait_doubles_with_each_further_failure(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        service.add_user(session, "t@x.io", password=PASSWORD, actor="t")
    waits = []
    for _ in range(service.THROTTLE_FAILURES + 4):
        try:
            with db.transaction() as session:
                service.authenticate(session, "t@x.io", "wrong password", address="5.5.5.5")
        except service.SignInThrottled as exc:
            waits.append(exc.retry_after)
            # Let the wait pass: move this client's failures back by it.
            with db.transaction() as session:
                for attempt in session.scalars(select(LoginAttempt)):
                    attempt.at -= dt.timedelta(seconds=exc.retry_after + 1)
    assert waits and waits == sorted(waits) and waits[-1] >= 2 * waits[0], waits
    with db.transaction() as session:  # one more failure just now: the right password waits
        session.add(LoginAttempt(email="t@x.io", address="5.5.5.5", at=dt.datetime.now(dt.UTC)))
    with pytest.raises(service.SignInThrottled), db.transaction() as session:
        service.authenticate(session, "t@x.io", PASSWORD, address="5.5.5.5")
