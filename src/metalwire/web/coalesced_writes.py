"""One socket write for an answer's head and body.

uvicorn's httptools protocol writes a response's status line and headers in one
``transport.write`` and its body in another. On the event loop each write is a ``send`` system
call made while the interpreter lock is held, and over loopback (a reverse proxy on the same
machine, the load benchmark) the kernel delivers the segment to the reader inside that call: at
a release instant the head's write alone was about 8 % of a worker's time (py-spy, 200 clients).
A cached answer's head and body are sent by the same task one after the other, so the transport
below holds a small write for the rest of the loop's turn and sends it with the next write, or
alone at the end of the turn. Order is kept (every write goes through the one held buffer), a
held head never waits longer than the current turn, and closing the transport sends what is held
first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A response head is a few hundred bytes; a write this small is worth holding for a turn.
HOLD_AT_MOST = 16 * 1024


class HeldWrites:
    """A transport that sends a small write together with the next one of the same loop turn.

    Everything but ``write``, ``writelines``, ``close`` and ``write_eof`` is the wrapped
    transport's own (flow control, peer address, ``is_closing``)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.writelines((held, data))
        elif len(data) <= HOLD_AT_MOST:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        else:
            self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def flush(self) -> None:
        held = self._held
        if held is None:
            return
        self._held = None
        if not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()


class CoalescedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a ``HeldWrites`` transport (``uvicorn --http``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeldWrites(transport, self.loop))  # type: ignore[arg-type]


PROTOCOL = f"{__name__}:{CoalescedHttpToolsProtocol.__name__}"
