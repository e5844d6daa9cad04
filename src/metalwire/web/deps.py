"""Request-scoped dependencies shared by API routes and pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

Lang = Literal["en", "zh"]
LANG_COOKIE = "lang"


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, in one transaction: committed if the handler succeeds."""
    session: Session = request.app.state.sessions()
    try:
        with session.begin():
            yield session
    finally:
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


# Row ids are 32-bit integers on PostgreSQL; anything else in a path cannot name a row.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Row id")]
