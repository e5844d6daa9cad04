"""Who is asking (API key, session cookie or nobody), rate limits, and CSRF for forms."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from markupsafe import escape
from sqlalchemy.orm import Session

from metalwire.accounts import service
from metalwire.accounts.credentials import new_token, same
from metalwire.accounts.gate import Decision, Denied, Principal
from metalwire.accounts.ratelimit import Admission, RateLimiter
from metalwire.web.deps import DbSession
from metalwire.web.problems import ProblemError

SESSION_COOKIE = "mw_session"
CSRF_COOKIE = "mw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"  # cookie-authenticated API writes send the token here
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A page form's token, posted under the name its templates give it (CSRF_FIELD).
CsrfField = Annotated[str | None, Form(alias=CSRF_FIELD)]


def _resolve(request: Request, session: Session) -> Principal:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ProblemError(
                401,
                "Authorization must be 'Bearer <API key>'",
                kind="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        key = service.resolve_api_key(session, value.strip())
        if key is None:
            raise ProblemError(
                401,
                "the API key is invalid or revoked",
                kind="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return service.principal_of(key.user, key=key)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        user = service.session_user(session, token)
        if user is not None:
            if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
                # A browser sends the session cookie with any site's request: an API write
                # on the strength of the cookie alone needs the page's token as well.
                check_csrf(request, request.headers.get(CSRF_HEADER))
            return service.principal_of(user)
    return service.anonymous_principal(session)


def get_principal(request: Request, session: DbSession) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = _resolve(request, session)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def principal_on(request: Request, session: Session) -> Principal:
    """Who is asking, read on a session the caller holds briefly: for a route that must not
    keep the request's session (a stream open for hours would hold a pooled connection)."""
    return _resolve(request, session)


def _client_key(request: Request, principal: Principal) -> str:
    if principal.is_anonymous:
        return f"addr:{request.client.host if request.client else 'unknown'}"
    return principal.client_id


def enforce_rate_limit(
    request: Request, response: Response, principal: CurrentPrincipal, session: DbSession
) -> None:
    """Count the request against the client's per-minute limit; 429 with Retry-After beyond it.
    Counted on the request's own session, so the request holds one connection, not two."""
    admission = admit(request, principal, session)
    said = rate_headers(admission)
    response.headers.update(said)
    # A route that answers with a Response of its own (http_cache.cached) reads them from here:
    # FastAPI merges the dependency's headers only into answers it builds itself.
    request.state.rate_headers = said
    if not admission.allowed:
        raise rate_limited(admission)


def admit(request: Request, principal: Principal, session: Session | None = None) -> Admission:
    limiter: RateLimiter = request.app.state.rate_limiter
    # The app's clock (the wall clock in production; a test's fixed instant): a request counts in
    # the minute the rest of the app reads in.
    now: dt.datetime = request.app.state.clock()
    return limiter.admit(
        _client_key(request, principal),
        principal.entitlements.rate_limit_per_minute,
        session,
        at=now.timestamp(),
    )


def rate_headers(admission: Admission) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(admission.limit),
        "X-RateLimit-Remaining": str(admission.remaining),
    }


def rate_limited(admission: Admission) -> ProblemError:
    return ProblemError(
        429,
        f"rate limit of {admission.limit} requests per minute exceeded",
        kind="rate-limited",
        headers={"Retry-After": str(admission.reset), **rate_headers(admission)},
    )


def deny(decision: Decision, what: str) -> ProblemError:
    """Map a gate refusal to an HTTP problem. Embargoed things look exactly like absent ones."""
    if decision.reason is Denied.EMBARGO:
        return ProblemError(404, f"{what} not found", kind="not-found")
    if decision.reason is Denied.ROLE:
        return ProblemError(403, f"your role does not allow this: {what}", kind="forbidden")
    if decision.reason is Denied.SCOPE:
        return ProblemError(
            403, f"your API key's scope does not allow this: {what}", kind="forbidden"
        )
    return ProblemError(403, f"your plan does not include {what}", kind="plan-required")


# --- CSRF: double-submit token (cookie + hidden form field), plus SameSite=Lax cookies -------


def _session_bound(request: Request) -> str | None:
    """The CSRF token of the signed-in session: derived from the session's own secret, so a
    token from another session (or from before signing in) is worthless in this one."""
    session_token = request.cookies.get(SESSION_COOKIE)
    if not session_token:
        return None
    return session_csrf_token(request.app.state.settings.secret_key, session_token)


def session_csrf_token(secret_key: str, session_token: str) -> str:
    digest = hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def csrf_token(request: Request) -> str:
    bound = _session_bound(request)
    if bound is not None:
        return bound
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = new_token(16)
        request.state.new_csrf = token
    return str(token)


class LazyCsrfToken:
    """The CSRF token for a template, made only if the page shows a form that needs it: a page
    without one sets no cookie and names no visitor, so it can be shared."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request)

    def __html__(self) -> str:
        return str(escape(str(self)))  # a token may come back from a cookie: escape it


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )


def check_csrf(request: Request, submitted: str | None) -> None:
    """Signed in: the session's own token; before signing in: the double-submit cookie."""
    expected = _session_bound(request) or request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not same(expected, submitted):
        raise ProblemError(
            403, "the form has expired or did not come from this site; reload it", kind="csrf"
        )
