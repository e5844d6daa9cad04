"""Knowing that the worker is stopping, as soon as the stop signal arrives.

uvicorn takes SIGTERM and SIGINT itself and starts the lifespan shutdown only after the open
connections are done, while ``/readyz`` should turn 503 from the signal on, so that a balancer
still polling on a kept-alive connection stops sending work. The handler uvicorn installed is
wrapped, not replaced: it still runs. Off the main thread (a server in a test thread)
there is no signal to watch and the flag is only set at shutdown.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def watch_signals(state: Any) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in SIGNALS:
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue  # default or ignored: uvicorn is not serving from this thread

        def stopping(number: int, frame: FrameType | None, previous: Any = previous) -> None:
            state.draining = True
            previous(number, frame)

        signal.signal(sig, stopping)
