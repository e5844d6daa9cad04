"""Readers signed in to the site: a session cookie, as the sign-in form would set it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role
from tests.conftest import ScratchDatabase


def sign_in(
    client: TestClient,
    db: ScratchDatabase,
    email: str,
    *,
    role: Role | None = None,
    plan: str = "free",
) -> str:
    """Start a browser session for ``email`` on ``client`` (the user added first, with ``role``
    and ``plan``, when a role is given); returns the session's token."""
    with db.transaction() as session:
        if role is not None:
            user = accounts.add_user(session, email, role=role, plan=plan, actor="t")
        else:
            found = accounts.get_user(session, email)
            assert found is not None, f"no user {email}"
            user = found
        token = accounts.start_session(session, user)
    client.cookies.set("mw_session", token)
    return token
