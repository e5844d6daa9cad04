"""The SQLite bookkeeping writers' lock holds across worker processes, not only threads."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine

from metalwire.db.engine import FileWriteLock, write_lock


def test_a_database_file_gets_a_lock_across_processes_and_memory_a_thread_lock(
    tmp_path: Path,
) -> None:
    on_file = write_lock(create_engine(f"sqlite:///{tmp_path / 'm.db'}"))
    assert isinstance(on_file, FileWriteLock)
    assert on_file.path == str(tmp_path / "m.db") + "-metalwire-write.lock"
    assert not isinstance(write_lock(create_engine("sqlite://")), FileWriteLock)


def test_another_worker_waits_until_the_holder_lets_go(tmp_path: Path) -> None:
    lock = FileWriteLock(str(tmp_path / "db-metalwire-write.lock"))
    with lock:
        pass  # opened in this process before the fork: the child must open its own
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # a second worker, holding the lock for 0.4 s
        with lock:
            os.write(ready_w, b"x")
            time.sleep(0.4)
        os._exit(0)
    os.read(ready_r, 1)
    started = time.monotonic()
    with lock:
        waited = time.monotonic() - started
    os.waitpid(child, 0)
    assert 0.25 < waited < 5
    started = time.monotonic()
    with lock:  # free again: no wait
        assert time.monotonic() - started < 0.1
