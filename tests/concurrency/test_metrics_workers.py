"""``metalwire serve --workers 2``: a scrape of either worker counts the requests of both
(prometheus_client's multiprocess mode), the access log is JSON, and the folder is removed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ScratchDatabase, _free_port

REQUESTS = 24


def _api_requests(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "metalwire_http_requests_total" and sample.labels["family"] == "api-other"
    )


@contextmanager
def _two_workers(tmp_path: Path, stopped: list[float] | None = None) -> Iterator[tuple[str, Path]]:
    """``metalwire serve --workers 2`` on the test database (env_db): its base URL and log;
    how long SIGTERM took to stop it goes into ``stopped``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "METALWIRE_WORKER_THREADS": "2", "TMPDIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-m", "metalwire", "serve", "--port", str(port), "--workers", "2"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "metalwire serve --workers 2 did not start"
                time.sleep(0.2)
            yield base, log_path
        finally:
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
            if stopped is not None:
                stopped.append(time.monotonic() - signalled)


def _records(log_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]


def test_two_workers_are_counted_together(env_db: ScratchDatabase, tmp_path: Path) -> None:
    with _two_workers(tmp_path) as (base, log_path):
        folders = list(tmp_path.glob("metalwire-metrics-*"))
        assert len(folders) == 1
        for _ in range(REQUESTS):  # a connection each: the kernel spreads them
            assert httpx.get(base + "/api/v1/series").status_code == 200
        time.sleep(0.2)  # a request is counted just after its last byte has gone
        scrapes = [httpx.get(base + "/metrics").text for _ in range(6)]
        assert all(_api_requests(text) == REQUESTS for text in scrapes)
        assert any(folders[0].glob("*.db"))  # prometheus_client's files, one set per worker
    assert not list(tmp_path.glob("metalwire-metrics-*")), "the metrics folder was left behind"
    records = _records(log_path)
    access = [r for r in records if r["logger"] == "metalwire.access"]
    assert sum(r["path"] == "/api/v1/series" for r in access) == REQUESTS
    assert all(len(r["request_id"]) == 32 for r in access)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # uvicorn's own, as JSON
    assert not any(r["logger"] == "uvicorn.access" for r in records)


def test_connections_arriving_together_are_spread_over_the_workers(
    env_db: ScratchDatabase, tmp_path: Path
) -> None:
    """At a release instant every client connects at once: each worker takes about half of the
    connections (a listening socket each, web/listener.py), not the first to wake nearly all."""
    connections = 200

    async def arrive_together(port: int) -> list[bytes]:
        async with asyncio.timeout(30):
            opened = await asyncio.gather(
                *(asyncio.open_connection("127.0.0.1", port) for _ in range(connections))
            )
            for _, writer in opened:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: mw\r\nConnection: close\r\n\r\n")
            return list(await asyncio.gather(*(reader.read() for reader, _ in opened)))

    stopped: list[float] = []
    with _two_workers(tmp_path, stopped) as (base, log_path):
        port = int(base.rsplit(":", 1)[1])
        # A socket each: the kernel spreads the connections whatever the workers are doing
        # (one shared socket goes to whichever worker's loop wakes first, busy or not).
        assert _listening_sockets(port) == 2
        answers = asyncio.run(arrive_together(port))
        assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
        time.sleep(0.3)  # the access line is written just after the last byte
    per_worker = Counter(
        r["pid"]
        for r in _records(log_path)
        if r["logger"] == "metalwire.access" and r["path"] == "/healthz"
    )
    assert len(per_worker) == 2, per_worker
    assert min(per_worker.values()) >= 0.3 * sum(per_worker.values()), per_worker
    assert stopped[0] < 5, f"SIGTERM took {stopped[0]:.1f} s to stop both workers"


def _listening_sockets(port: int) -> int:
    """Sockets listening on the loopback port, from the kernel's table (/proc/net/tcp)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return sum(f[1] == f"0100007F:{port:04X}" and f[3] == "0A" for f in fields)


def test_a_port_held_by_another_program_is_named(env_db: ScratchDatabase, tmp_path: Path) -> None:
    port = _free_port()
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        command = [sys.executable, "-m", "metalwire", "serve", "--port", str(port), "--workers=2"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr
