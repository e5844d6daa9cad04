"""Where a webhook may point (SSRF): an http(s) URL whose host resolves only to public
addresses. Asked when an endpoint is registered and again before every send (a name may be
pointed elsewhere after registration). An operator testing locally sets
METALWIRE_WEBHOOKS_ALLOW_PRIVATE=true."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from metalwire.errors import InvalidInput


class RefusedDestination(InvalidInput):
    """A webhook URL the platform will not send to."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """The URL as given, once its form is right and (unless ``allow_private``) every address
    its host resolves to is public."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination(f"not an http(s) URL: {url!r}", field=field)
    if parts.username or parts.password:
        raise RefusedDestination("a webhook URL may not carry credentials", field=field)
    if allow_private:
        return url.strip()
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise RefusedDestination(f"{parts.hostname} does not resolve", field=field) from None
    for *_rest, sockaddr in found:
        if not _public(str(sockaddr[0])):
            raise RefusedDestination(
                f"{parts.hostname} resolves to {sockaddr[0]}, a loopback, private or reserved "
                "address; webhooks go to public addresses only",
                field=field,
            )
    return url.strip()
