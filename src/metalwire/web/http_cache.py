"""Responses for released data: ETag / If-None-Match (304) and cache headers, CSV/XLSX variants."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from metalwire.accounts.gate import Principal, may_export
from metalwire.tabular import to_csv, to_xlsx
from metalwire.web.auth import deny
from metalwire.web.body_cache import etag_of

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The other answers of a route with ?format=: its OpenAPI 200 must name them, or a client (and
# schemathesis) reads a CSV as an undocumented content type.
EXPORT_CONTENT: dict[str, Any] = {
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}


def cached(
    request: Request,
    principal: Principal,
    body: bytes,
    media_type: str,
    headers: dict[str, str] | None = None,
    max_age: int = 60,
    etag: str | None = None,
) -> Response:
    """Send released data with a strong ETag; answer 304 when the client already has it."""
    etag = etag or etag_of(body)
    # A proxy may share an anonymous answer; a personal one (key, session) stays private.
    personal = not principal.is_anonymous or "authorization" in request.headers
    common = {
        "ETag": etag,
        "Cache-Control": f"{'private' if personal else 'public'}, max-age={max_age}",
        "Vary": "Authorization, Cookie",
        # The caller's own rate limit (web/auth.py: enforce_rate_limit), on API answers.
        **getattr(request.state, "rate_headers", {}),
        **(headers or {}),
    }
    if not_modified(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=common)
    return Response(body, media_type=media_type, headers=common)


def not_modified(if_none_match: str, etag: str) -> bool:
    return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def tabular(
    request: Request,
    principal: Principal,
    fmt: Format,
    filename: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    json_body: Any,
    *,
    about: Sequence[tuple[str, Any]] = (),
    number_formats: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
) -> Response:
    """One table in the format asked for; exports need the plan's export right. An XLSX
    export carries ``about`` as a header block and ``number_formats`` per column."""
    if fmt == "json":
        return cached(request, principal, json_bytes(json_body), "application/json")
    decision = may_export(principal)
    if not decision:
        raise deny(decision, "exports")
    disposition = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if notes:  # what the file leaves out and why (a CSV has no header block to say it in)
        disposition["Metalwire-Not-Exported"] = "; ".join(notes)
    if fmt == "csv":
        return cached(
            request,
            principal,
            to_csv(columns, rows).encode(),
            "text/csv; charset=utf-8",
            disposition,
        )
    body = to_xlsx(columns, rows, about=about, number_formats=number_formats)
    return cached(request, principal, body, XLSX, disposition)
