"""``metalwire serve --workers 2``: a scrape of either worker counts the requests of both
(prometheus_client's multiprocess mode), the access log is JSON, and the folder is removed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def test_two_workers_are_counted_together(env_db: ScratchDatabase, tmp_path: Path) -> None:
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
            folders = list(tmp_path.glob("metalwire-metrics-*"))
            assert len(folders) == 1
            for _ in range(REQUESTS):  # a connection each: the kernel spreads them
                assert httpx.get(base + "/api/v1/series").status_code == 200
            time.sleep(0.2)  # a request is counted just after its last byte has gone
            scrapes = [httpx.get(base + "/metrics").text for _ in range(6)]
            assert all(_api_requests(text) == REQUESTS for text in scrapes)
            assert any(folders[0].glob("*.db"))  # prometheus_client's files, one set per worker
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    assert not list(tmp_path.glob("metalwire-metrics-*")), "the metrics folder was left behind"
    records = [
        json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
    ]
    access = [r for r in records if r["logger"] == "metalwire.access"]
    assert sum(r["path"] == "/api/v1/series" for r in access) == REQUESTS
    assert all(len(r["request_id"]) == 32 for r in access)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # uvicorn's own, as JSON
    assert not any(r["logger"] == "uvicorn.access" for r in records)
