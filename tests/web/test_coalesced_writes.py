"""The transport under the HTTP protocol sends an answer's head with its body, in order, and
never holds a write past the loop's turn."""

from __future__ import annotations

import asyncio
import socket

from metalwire.web.coalesced_writes import HOLD_AT_MOST, HeldWrites


async def _pair() -> tuple[HeldWrites, socket.socket, asyncio.AbstractEventLoop]:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    return HeldWrites(transport, loop), theirs, loop


def _received(peer: socket.socket) -> bytes:
    chunks = b""
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            return chunks
        if not chunk:
            return chunks
        chunks += chunk


def test_a_head_waits_for_its_body_and_both_arrive_in_order() -> None:
    async def scenario() -> tuple[bytes, bytes]:
        held, peer, _ = await _pair()
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        before_body = _received(peer)  # nothing has left: the head is held for its body
        held.write(b"hello")
        await asyncio.sleep(0)
        after = _received(peer)
        held.close()
        return before_body, after

    before_body, after = asyncio.run(scenario())
    assert before_body == b""
    assert after == b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"


def test_a_write_alone_is_sent_at_the_end_of_the_turn() -> None:
    async def scenario() -> bytes:
        held, peer, _ = await _pair()
        held.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0.01)  # no further write: the held one goes alone
        received = _received(peer)
        held.close()
        return received

    assert asyncio.run(scenario()) == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_closing_sends_what_is_held_first_and_large_writes_are_not_held() -> None:
    big = b"x" * (HOLD_AT_MOST + 1)

    async def scenario() -> tuple[bytes, bytes]:
        held, peer, _ = await _pair()
        held.write(big)
        immediately = _received(peer)
        held.write(b"last words")
        held.close()
        await asyncio.sleep(0.01)
        return immediately, _received(peer)

    immediately, rest = asyncio.run(scenario())
    assert immediately == big
    assert rest == b"last words"
