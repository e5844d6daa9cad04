"""The audit trail's hash chain, as pure functions: no database, no clock.

Each event's hash covers the previous event's hash and every field of the event, so changing,
removing or reordering any event breaks every link after it. The serialization is fixed here and
in migration 0010: changing it would make every stored hash disagree with its event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ChainedEvent:
    """The fields of an audit event the chain covers, with the hashes it stored."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any
    after: Any
    prev_hash: str | None
    hash: str | None


@dataclass(frozen=True)
class BrokenLink:
    """The first event whose stored hashes disagree with the chain."""

    event_id: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    count: int
    head: str | None
    broken: BrokenLink | None


def iso_utc(at: dt.datetime) -> str:
    if at.utcoffset() is None:
        raise ValueError("audit event time without a timezone; attach one")
    return at.astimezone(dt.UTC).isoformat()


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash is taken over: sorted keys and no spaces, so that the same
    event always gives the same bytes whatever dict order or JSON library produced it."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(
    *,
    prev_hash: str | None,
    id: int,
    at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Any,
    after: Any,
) -> str:
    """SHA-256, hex, of the event's :func:`canonical` bytes."""
    document = {
        "prev_hash": prev_hash,
        "id": id,
        "at": iso_utc(at),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
    }
    return hashlib.sha256(canonical(document)).hexdigest()


class HashedFields(Protocol):
    """The fields the chain covers, as a stored row or a :class:`ChainedEvent` has them."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def object_type(self) -> str: ...
    @property
    def object_id(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...


def recompute(event: HashedFields, prev_hash: str | None) -> str:
    """The hash an event linked after ``prev_hash`` carries: set on a new row, checked on a
    stored one."""
    return event_hash(
        prev_hash=prev_hash,
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
    )


def check_link(event: ChainedEvent, expected_prev: str | None) -> str | None:
    """What is wrong with one event given the hash before it, or None."""
    if event.prev_hash != expected_prev:
        return (
            f"prev_hash {event.prev_hash or 'empty'} is not the previous event's hash "
            f"{expected_prev or 'empty (first event)'}: an event before it was removed, "
            "inserted or changed its hash"
        )
    if event.hash != recompute(event, expected_prev):
        return "hash mismatch: the event's fields were changed after it was written"
    return None


def verify_chain(events: Iterable[ChainedEvent]) -> ChainReport:
    """Walk events in id order; stop at the first broken link."""
    expected_prev: str | None = None
    count = 0
    for event in events:
        problem = check_link(event, expected_prev)
        if problem is not None:
            return ChainReport(count, expected_prev, BrokenLink(event.id, problem))
        expected_prev = event.hash
        count += 1
    return ChainReport(count, expected_prev, None)
