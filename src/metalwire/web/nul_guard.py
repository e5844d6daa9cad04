"""Refuse NUL characters in a request before any code sees them: PostgreSQL text cannot hold
them, and no name, code or note of the trade contains one.

Uploaded files (multipart bodies) pass: an XLSX workbook is a zip full of NUL bytes. The table
reader refuses a NUL inside any cell, naming the row and column."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def _is_upload(scope: Message) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.lower().startswith(b"multipart/form-data"))
    return False


class NulGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = None
        if "\x00" in scope.get("path", ""):
            where = "path"
        elif any(m in scope.get("query_string", b"") for m in NUL_MARKERS):
            where = "query"
        messages: list[Message] = []
        # No route reads the body of a GET or HEAD: those pass unbuffered.
        if where is None and scope.get("method") not in ("GET", "HEAD"):
            messages, body = await _read_body(receive)
            if not _is_upload(scope) and any(m in body for m in NUL_MARKERS):
                where = "body"
        if where is not None:
            await _refuse(scope, where, send)
            return
        if not messages:
            await self.app(scope, receive, send)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replayed, send)


async def _read_body(receive: Callable[[], Awaitable[Message]]) -> tuple[list[Message], bytes]:
    """Every message of the request's body, kept to be replayed, and the body they carry."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return messages, body


async def _refuse(scope: Message, where: str, send: Callable[[Message], Awaitable[None]]) -> None:
    """422 problem+json naming the part of the request that carries the NUL."""
    problem = {
        "type": "urn:metalwire:problem:invalid-parameter",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": f"the request {where} contains a NUL character",
        "instance": scope.get("path", ""),
        "invalid_params": [
            {"name": where, "location": where, "reason": "NUL characters are not allowed"}
        ],
    }
    payload = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
