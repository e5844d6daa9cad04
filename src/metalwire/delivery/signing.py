"""Webhook signatures (pure): the receiver recomputes HMAC-SHA256 of the raw body with its
secret and compares; the body carries its own timestamp, so a replayed old delivery is told
apart by the receiver (docs/api.md shows a check in ten lines)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Metalwire-Signature"
EVENT_HEADER = "X-Metalwire-Event"
DELIVERY_HEADER = "X-Metalwire-Delivery"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(body: bytes, secret: str) -> str:
    """The header's value: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does (in constant time)."""
    return hmac.compare_digest(signature(body, secret), header)
