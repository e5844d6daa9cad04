"""Requests per second for 20 years of one series' daily prices, over real HTTP, one worker each:
metalwire's GET /api/v1/series/{code}/prices, Datasette serving the same rows from the same
SQLite file, and a bare ASGI app returning metalwire's bytes from memory.

Run: .venv/bin/python benchmarks/bench_vs_datasette.py [--seconds 10] [--connections 4] [--rounds 3]

Needs `wrk` (Debian package) and builds the 20-year history with bench_price_history.py's
builder when it is missing. Datasette is installed into its own virtual environment under
benchmarks/out/ (it is not a dependency of metalwire). Floors (issue #3): metalwire >= 3x
Datasette, and >= 0.5x the bare app.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

HERE = Path(__file__).parent
OUT = HERE / "out"
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_price_history import CODE, _approved_days, _weekdays, build_history  # noqa: E402

from metalwire.accounts.models import Plan, Role, Scope  # noqa: E402
from metalwire.accounts.service import add_user, create_api_key, get_user  # noqa: E402
from metalwire.catalog.models import PriceSeries  # noqa: E402
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def wrk(url: str, seconds: int, connections: int, header: str | None = None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match is None or non2xx:
        raise SystemExit(f"wrk failed or saw errors:\n{output}")
    return float(match.group(1))


def datasette_bin() -> Path:
    venv = OUT / "datasette-venv"
    binary = venv / "bin" / "datasette"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "datasette>=0.64"], check=True
        )
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("install wrk first: apt-get install wrk")
    db = OUT / "history.db"
    OUT.mkdir(exist_ok=True)
    days = _weekdays(20)
    if _approved_days(f"sqlite:///{db}") != len(days):
        build_history(db, days)
    engine = create_db_engine(f"sqlite:///{db}")
    with transaction(make_sessionmaker(engine)) as session:
        # A plan without a practical rate limit, so the load measures serving, not refusing.
        if session.get(Plan, "bench") is None:
            session.add(
                Plan(
                    code="bench",
                    name_en="bench",
                    name_zh="bench",
                    entitlements={
                        "tiers": ["free", "premium"],
                        "groups": "all",
                        "history_days": None,
                        "export": True,
                        "api": True,
                        "rate_limit_per_minute": 10**9,
                    },
                )
            )
        email = "load@bench.test"
        if get_user(session, email) is None:
            add_user(session, email, role=Role.SUBSCRIBER, plan="bench", actor="bench")
        key = create_api_key(session, email, Scope.READ, actor="bench").secret
        series_id = session.scalar(select(PriceSeries.id).where(PriceSeries.code == CODE))
    engine.dispose()

    processes: list[subprocess.Popen[bytes]] = []
    try:
        mw_port, ds_port, bare_port = free_port(), free_port(), free_port()
        env = {**os.environ, "METALWIRE_DATABASE_URL": f"sqlite:///{db}"}
        processes.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/metalwire"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mw_port),
                    "--workers",
                    "1",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    str(datasette_bin()),
                    "serve",
                    "-i",
                    str(db),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ds_port),
                    "--setting",
                    "max_returned_rows",
                    "10000",
                    "--setting",
                    "num_sql_threads",
                    "1",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        auth = {"Authorization": f"Bearer {key}"}
        mw_url = f"http://127.0.0.1:{mw_port}/api/v1/series/{CODE}/prices"
        ds_url = (
            f"http://127.0.0.1:{ds_port}/history/assessment.json?series_id={series_id}"
            "&status=approved&_sort=market_date&_size=max&_shape=array"
            "&_col=market_date&_col=low&_col=high&_col=mid&_col=version"
        )
        wait_for(mw_url, auth)
        wait_for(ds_url)
        body = httpx.get(mw_url, headers=auth, timeout=30).content
        rows = len(httpx.get(ds_url, timeout=30).json())
        (OUT / "prices.json").write_bytes(body)
        processes.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/uvicorn"),
                    "bare_asgi:app",
                    "--app-dir",
                    str(HERE),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bare_port),
                    "--workers",
                    "1",
                    "--log-level",
                    "warning",
                ],
                env={**os.environ, "BARE_ASGI_BODY": str(OUT / "prices.json")},
            )
        )
        bare_url = f"http://127.0.0.1:{bare_port}/"
        wait_for(bare_url)
        print(f"metalwire answer: {len(body) / 1e6:.2f} MB; Datasette rows: {rows:,}")
        # Rounds interleave the three, and each keeps its best: a busy machine then slows
        # them alike instead of whichever happened to run during the busy spell.
        results = {"metalwire": 0.0, "datasette": 0.0, "bare ASGI": 0.0}
        for _ in range(args.rounds):
            runs = {
                "metalwire": wrk(
                    mw_url, args.seconds, args.connections, f"Authorization: Bearer {key}"
                ),
                "datasette": wrk(ds_url, args.seconds, args.connections),
                "bare ASGI": wrk(bare_url, args.seconds, args.connections),
            }
            results = {name: max(results[name], rps) for name, rps in runs.items()}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    for name, rps in results.items():
        print(f"{name:>10}: {rps:8.1f} requests/s")
    vs_datasette = results["metalwire"] / results["datasette"]
    vs_bare = results["metalwire"] / results["bare ASGI"]
    print(
        f"metalwire / Datasette: {vs_datasette:.2f}x (floor 3x: "
        f"{'within' if vs_datasette >= 3 else 'BELOW'})"
    )
    print(
        f"metalwire / bare ASGI: {vs_bare:.2f}x (floor 0.5x: "
        f"{'within' if vs_bare >= 0.5 else 'BELOW'})"
    )


if __name__ == "__main__":
    main()
