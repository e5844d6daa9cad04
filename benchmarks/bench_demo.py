"""First run: how long `make demo` takes from an empty database until the site answers.

Run: .venv/bin/python benchmarks/bench_demo.py [--days 730] [--keep PATH]

Into a fresh SQLite file (a temporary one unless --keep), the script runs what `make demo` runs
after the install: ``metalwire db upgrade``, ``metalwire demo --days N``, then ``metalwire
serve`` on a free loopback port, and polls ``GET /`` every 100 ms until it answers 200. It
prints the time of each step, the time until the home page answered and the database's size.
Every step has a deadline (--timeout seconds each); the server is always stopped (SIGTERM,
then SIGKILL after 10 s).

Exit status: 0 when the site answered, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(args: list[str], env: dict[str, str], timeout: float) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def until_home(url: str, deadline: float) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        try:
            if httpx.get(url, timeout=2.0, trust_env=False).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730, help="demo days (make demo's default)")
    parser.add_argument("--keep", type=Path, help="build into this file and keep it")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per step")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "demo.db"
        path.unlink(missing_ok=True)
        env = {**os.environ, "METALWIRE_DATABASE_URL": f"sqlite:///{path}"}
        metalwire = str(BIN / "metalwire")
        upgrade = timed([metalwire, "db", "upgrade"], env, args.timeout)
        print(f"metalwire db upgrade: {upgrade:.1f} s")
        demo = timed([metalwire, "demo", "--days", str(args.days)], env, args.timeout)
        print(f"metalwire demo --days {args.days}: {demo:.1f} s")
        port = free_port()
        server = subprocess.Popen(
            [metalwire, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            answered = until_home(f"http://127.0.0.1:{port}/", args.timeout)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        size = path.stat().st_size / 1024 / 1024
        if answered is None:
            print(f"the site did not answer within {args.timeout:.0f} s")
            return 1
        total = upgrade + demo + answered
        print(f"metalwire serve until GET / answered 200: {answered:.1f} s")
        print(
            f"from an empty database to the site answering: {total:.1f} s; database {size:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
