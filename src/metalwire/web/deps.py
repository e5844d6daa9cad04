"""Request-scoped dependencies shared by API routes and pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session

from metalwire.pricing.schemas import CODE_LIMIT

Lang = Literal["en", "zh"]
LANG_COOKIE = "lang"


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: the handler's work is one transaction, committed if it
    succeeds, rolled back on any error. Everything the request reads goes through this session
    (see ``request_session``): a request that held a connection while it waited for a second
    could wait forever."""
    session: Session = request.app.state.sessions()
    request.state.db_session = session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        request.state.db_session = None
        session.close()


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """The request's own session when it has one, else a short one of its own: for helpers
    (page chrome, error pages) that serve handlers with and without a database dependency."""
    current = getattr(request.state, "db_session", None)
    if isinstance(current, Session):
        yield current
        return
    with request.app.state.sessions() as session:
        request.state.db_session = session
        try:
            yield session
        finally:
            request.state.db_session = None


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """A transaction of the handler's own: committed at the end of the block, rolled back (and
    re-raised) on any error inside it. It runs on the request's session when there is one,
    after committing what that session read so far (who is asking), so that the request still
    holds a single connection."""
    current = getattr(request.state, "db_session", None)
    if isinstance(current, Session):
        current.commit()
        with current.begin():
            yield current
        return
    session: Session = request.app.state.sessions()
    request.state.db_session = session  # what the block calls (page chrome) reads through it
    try:
        with session.begin():
            yield session
    finally:
        request.state.db_session = None
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


def resolve_lang(request: Request, lang: str | None = None) -> Lang:
    """Explicit ?lang=, then the remembered cookie, then the browser's Accept-Language."""
    for candidate in (lang, request.cookies.get(LANG_COOKIE)):
        if candidate in ("en", "zh"):
            return candidate  # type: ignore[return-value]
    accept = request.headers.get("accept-language", "")
    return "zh" if accept.lower().startswith("zh") else "en"


def api_lang(
    request: Request,
    lang: Annotated[Lang | None, Query(description="Language of names: en or zh")] = None,
) -> Lang:
    return resolve_lang(request, lang)


ApiLang = Annotated[Lang, Depends(api_lang)]

# Asked explicitly (never taken from a cookie or Accept-Language): a shared answer must not
# change language by who asked first. Texts written in both languages (an assessment's
# explanation, a consultation, a methodology version) answer in it, English where no Chinese
# was written.
AskedLang = Annotated[
    Literal["en", "zh"],
    Query(description="Language of the written texts: en or zh (English where none in Chinese)"),
]


# Row ids are 32-bit integers on PostgreSQL; anything else in a path cannot name a row.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Row id")]

# Codes and slugs are at most their columns' lengths (String(64), String(200)): a longer one
# cannot name a row, and the schema says so to generated requests.
Code = Annotated[str, Path(min_length=1, max_length=CODE_LIMIT, description="Code")]
Slug = Annotated[str, Path(min_length=1, max_length=200, description="Article slug")]
FormText = Annotated[str, Form()]  # shared by the account's and the desk's forms
