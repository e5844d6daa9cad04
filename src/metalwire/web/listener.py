"""A listening socket of its own for each worker, so that the kernel spreads connections evenly.

uvicorn's supervisor binds one socket and its workers share it. At a release instant a few
hundred subscribers connect at once, and the worker whose event loop wakes first accepts nearly
all of them (libuv accepts until the queue is empty): 160 of 201 keep-alive connections went to
one of two workers in a measurement, which then queued while the other idled. With
``SO_REUSEPORT`` each worker listens on a socket of its own bound to the same address, and the
kernel hands each new connection to one of them by a hash of its addresses: an even split.

uvicorn hands the supervisor's sockets to each worker it starts by pickling them (its workers
are spawned); a ``WorkerListener`` stands in for the socket there and opens as the worker's own
socket when the worker unpickles it, so the supervisor, its health checks and its restarts stay
uvicorn's. Linux checks that every socket sharing a port belongs to the same user.
"""

from __future__ import annotations

import logging
import socket
import sys
from dataclasses import dataclass
from typing import Any

from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("metalwire.web")


def spreads_connections() -> bool:
    """Whether this system can give each worker a socket of its own (Linux, the BSDs)."""
    return hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int, backlog: int, *, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class WorkerListener:
    """In the supervisor, the address a worker will listen on; in the worker, its socket."""

    host: str
    port: int
    backlog: int

    def check(self) -> None:
        """Fail in the supervisor, with the address, when another program holds the port:
        bound without listening, so that it takes no connection."""
        reuse_port_socket(self.host, self.port, self.backlog, listen=False).close()

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return (_open_in_worker, (self.host, self.port, self.backlog))


def _open_in_worker(host: str, port: int, backlog: int) -> socket.socket:
    try:
        return reuse_port_socket(host, port, backlog)
    except OSError as exc:
        # The supervisor stops (not restarts) a worker that exits with STARTUP_FAILURE.
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)
