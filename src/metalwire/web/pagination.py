"""Keyset pagination with an opaque cursor, returned as ``next`` and as a ``Link`` header."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import Request, Response

from metalwire.web.problems import invalid_parameter


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_parameter("cursor", "not a cursor returned by this API") from None


def next_link(request: Request, response: Response, key: Any | None) -> str | None:
    """The URL of the next page (same query, new cursor), also set as ``Link: <...>; rel=next``."""
    if key is None:
        return None
    url = str(request.url.include_query_params(cursor=encode_cursor(key)))
    response.headers["Link"] = f'<{url}>; rel="next"'
    return url
