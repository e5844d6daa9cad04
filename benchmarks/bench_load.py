"""Load at the release moment: every subscriber asks the service at once.

Run: .venv/bin/python benchmarks/bench_load.py [--clients 1,50,200,500] [--duration 60]
     [--think 0] [--workers 1] [--sqlite PATH] [--postgres-url URL] [--build] [--json PATH]

Server: the script starts ``metalwire serve --host 127.0.0.1 --port <free> --workers N`` itself
(METALWIRE_DATABASE_URL set), waits for /healthz (--start-timeout), and always stops it at the
end, also on Ctrl-C, SIGTERM or an error: SIGTERM, then SIGKILL of its process group after 10 s;
how long it took to stop is reported. Its output goes to benchmarks/out/bench_load-NAME.log.
Targets: SQLite (--sqlite, default benchmarks/out/demo.db, gitignored) with --workers (default 1);
with --postgres-url also PostgreSQL with 2 workers. Each must hold the demo market; a missing one
is reported with the commands that build it, or built with --build:

    METALWIRE_DATABASE_URL=sqlite:///PATH metalwire db upgrade && metalwire demo

Keys: --keys API keys of subscriber@metalwire.demo (plan "subscriber", 600 requests a minute
per key) plus a spare one kept out of the mix, and one of reader@metalwire.demo (plan "free",
60 a minute), made once per target in one transaction through the accounts service (what
``metalwire key create`` calls) before the server starts and revoked after it stopped. Pages
are asked anonymously and, where the mix says so, as the signed-in demo subscriber (one session
through the sign-in form, sent as a cookie). No cookie jar is kept: ``?lang=`` picks the
language, as a link would.

The mix, per 100 requests (kinds in brackets; a client's next request is the next entry of a
fixed smooth weighted round robin over it, each client starting at its own offset):

    [page]        12  /                     6 anon en, 3 anon zh, 3 subscriber en
                  15  /entry/silver (5 en, 3 zh), /entry/copper (3 en, 2 zh), /entry/gold (2)
                  13  /series/AG-INGOT-CN-SPOT (4 anon, 4 subscriber, 2 subscriber zh),
                      the second history series' page (3 subscriber)
    [api-history] 30  GET /api/v1/series/{code}/prices with subscriber keys: AG-INGOT-CN-SPOT
                      12, each other code of the history set 16 split evenly; the free key on
                      AG-INGOT-CN-SPOT 2
    [api-latest]  20  GET /api/v1/prices/latest (subscriber 8, ?group=precious-metals 6,
                      ?entry=silver&lang=zh 4; the free key 2)
    [feed]        10  /feeds/precious-metals/rss?lang=zh 5, the same in English 3,
                      /feeds/base-metals/rss 2

The history set is AG-INGOT-CN-SPOT plus the codes of PREFERRED_CODES that GET /api/v1/series
lists (a premium one among them), filled up from that listing to --series codes.
A virtual client (one of C, all starting together) sends its request, waits for the answer,
then thinks --think seconds, jittered uniformly by +-50% (0: back to back), until the level's
--duration ends. Each client's requests go round the --keys subscriber keys, starting at its
own: beyond --keys x 600 requests a minute the API answers 429 by design (counted as
errors); raise --keys to take the rate limiter out of the picture. The free key's 429s (60 a
minute) are the plan's limit doing its job: counted apart, as "free-plan 429s", not errors.

Bounds: a fresh aiohttp.ClientSession per level (aiohttp costs the shared cores far less per
request than httpx, which capped the measured rate at about 220 requests a second with one
core busy in the client), loopback only, at most C connections in all; every request has an
absolute deadline of --timeout seconds (connect, send, wait and body: a hung server shows as
timeouts, never as a hang of the script); at most --max-requests per level; the whole run has
--deadline (builds aside; a level that would not fit is shortened or skipped); 5 s pause
between levels. The CPU time of the client and of the server's processes is printed per level:
a client near 100 % of one core is what limits the figures, not the server.

Reported per level and kind: requests; req/s (answers of any status, and failures, finished
inside the level's window, per second); ok/s (the successful ones); p50/p99/max latency of the
successful answers (2xx/304, client side: it includes the client's own event-loop delay, shown
as "client loop lag"), and the p99 of the "steady" ones, sent later than BURST_S (5 s) into the
level: every client sends its first request at the same instant, so the whole level's p99 is
that of the opening burst, and the steady p99 is what a client sees once it has cleared;
errors by kind (HTTP status, timeout, connect = could not connect, reset = connection dropped,
cancelled = in flight when a level was cut or interrupted, other), and for each 503 whether it
was clean (a Retry-After header and an application/problem+json body with status 503) and how
long the refusal took (p50). /healthz is probed once a second by a
task of its own, on its own connections (timeout 5 s); it should answer within 1 s even when
the service is saturated. The server's memory (VmRSS of the server process and all its
descendants, found through /proc) is read before and after each level. After each level,
recovery: the time until a fresh plain GET / and a history request (with a key kept out of the
mix, so that its rate limit is whole) answer 200 again, polled every 100 ms for up to 10 s; the
one after the largest level is the burst the release moment is about. /healthz's own figures
(active, waiting, refused requests, pooled connections checked out), where it reports them, are
shown as their peaks over the level: those of whichever worker answered each probe.

Caveats: the client runs on the same machine (2 cores here) in one Python process, so at high
client counts it competes with the server for CPU, and its loop lag adds to the latencies; the
caches are warm (one validation pass of the mix runs before the first level), whereas a real
release invalidates the cached answers of the released series.

Exit status: 0, unless a server could not be started (or its database is missing): 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

HERE = Path(__file__).parent
OUT = HERE / "out"
ROOT = HERE.parent
METALWIRE = ROOT / ".venv" / "bin" / "metalwire"

NAME = "bench-load"  # the keys' name and the audit trail's actor
SUBSCRIBER = "subscriber@metalwire.demo"
READER = "reader@metalwire.demo"
DEMO_PASSWORD = "metalwire-demo"
MAIN_CODE = "AG-INGOT-CN-SPOT"  # free tier, the reference series of the demo
PREFERRED_CODES = ("CU-CATHODE-CN-SPOT", "AG-INGOT-CN-PREMIUM", "AU-CN-SPOT", "ZN-0-CN-SPOT")
KINDS = ("api-history", "api-latest", "page", "feed", "health")
SEED = 7
BURST_S = 5.0  # requests sent later than this into a level are its steady state
STRIDE = 7919  # clients' offsets into the mix cycle (a prime: they spread over it)
PAUSE = 5.0  # seconds between levels
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL
HEALTH_INTERVAL = 1.0
HEALTH_TIMEOUT = 5.0
HEALTH_FLOOR = 1.0  # /healthz must answer within this even when saturated
RECOVERY_WINDOW = 10.0
RECOVERY_POLL = 0.1
LAG_TICK = 0.05
PG_WORKERS = 2


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers, multiprocessing helpers)."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pid: int) -> tuple[int, int]:
    """Summed VmRSS of the process tree and the number of processes it has."""
    total, count = 0, 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            total += int(found.group(1)) * 1024
            count += 1
    return total, count


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited, its parent not reaped it


@dataclass
class Server:
    name: str
    url: str
    workers: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_in: float | None = None
    stop: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float) -> None:
        env = {**os.environ, "METALWIRE_DATABASE_URL": self.url}
        command = [
            str(METALWIRE),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log.open("wb") as log:
            # A session of its own: Ctrl-C in the terminal reaches the script only, which then
            # stops the server as an orchestrator would (SIGTERM), and can time it.
            self.process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2.0).status_code == 200:
                    self.started_in = time.monotonic() - started
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s")

    def terminate(self) -> dict[str, Any]:
        """SIGTERM; SIGKILL of the whole process group if anything is left after 10 s."""
        process = self.process
        if process is None or self.stop:
            return self.stop
        if process.poll() is not None:
            self.stop = {"exited_before": True, "returncode": process.returncode}
            return self.stop
        tree = process_tree(process.pid)
        sent = time.monotonic()
        result: dict[str, Any] = {"processes": len(tree), "killed": False}

        def gone() -> bool:
            # The server itself by waitpid: /proc shows its main thread as a zombie while its
            # other threads are still exiting. Its descendants by /proc (they are not ours).
            return process.poll() is not None and not any(_alive(pid) for pid in tree[1:])

        try:
            process.send_signal(signal.SIGTERM)
            deadline = sent + STOP_GRACE
            while time.monotonic() < deadline and not gone():
                time.sleep(0.02)
            result["seconds"] = time.monotonic() - sent
        finally:
            if not gone():
                result["killed"] = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                for pid in tree:  # any that left the group
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        if _alive(pid):
                            os.kill(pid, signal.SIGKILL)
                process.wait(timeout=5)
                result.setdefault("seconds", time.monotonic() - sent)
            result["returncode"] = process.returncode
            self.stop = result
        return result


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the database and the keys -------------------------------------------------------------


def build_commands(url: str) -> str:
    return f"METALWIRE_DATABASE_URL={url} {METALWIRE} db upgrade && {METALWIRE} demo"


def build_demo(url: str) -> None:
    env = {**os.environ, "METALWIRE_DATABASE_URL": url}
    started = time.perf_counter()
    for args in (["db", "upgrade"], ["demo"]):
        print(f"  metalwire {' '.join(args)}", flush=True)
        subprocess.run([str(METALWIRE), *args], env=env, check=True, stdin=subprocess.DEVNULL)
    print(f"  built the demo market in {time.perf_counter() - started:.0f} s")


@dataclass(frozen=True)
class Key:
    email: str
    secret: str
    key_id: int | None


def create_keys(url: str, emails: list[str]) -> list[Key]:
    """A read key for each e-mail, made through the accounts service in one transaction (the
    CLI's `metalwire key create` costs a process start, 1.6 s, per key)."""
    from sqlalchemy.exc import SQLAlchemyError

    from metalwire.accounts import service as accounts
    from metalwire.accounts.models import Scope
    from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction

    engine = create_db_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            made = [
                accounts.create_api_key(session, email, Scope.READ, name=NAME, actor=NAME)
                for email in emails
            ]
            session.flush()
            return [Key(e, m.secret, m.key.id) for e, m in zip(emails, made, strict=True)]
    except (accounts.AccountError, SQLAlchemyError) as exc:
        raise RuntimeError(f"API keys for {sorted(set(emails))}: {exc}") from exc
    finally:
        engine.dispose()


def revoke_keys(url: str, keys: list[Key]) -> int:
    from metalwire.accounts import service as accounts
    from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction

    engine = create_db_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            for key in keys:
                if key.key_id is not None:
                    accounts.revoke_api_key(session, key.key_id, actor=NAME)
        return sum(key.key_id is not None for key in keys)
    finally:
        engine.dispose()


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


# --- the mix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    kind: str
    path: str
    auth: str | None  # "subscriber" (a key), "reader" (the free key), "session", None
    weight: int


def release_mix(codes: list[str]) -> list[Spec]:
    main, others = codes[0], codes[1:] or codes[:1]
    specs = [
        Spec("page", "/", None, 6),
        Spec("page", "/?lang=zh", None, 3),
        Spec("page", "/", "session", 3),
        Spec("page", "/entry/silver", None, 5),
        Spec("page", "/entry/silver?lang=zh", None, 3),
        Spec("page", "/entry/copper", None, 3),
        Spec("page", "/entry/copper?lang=zh", None, 2),
        Spec("page", "/entry/gold", None, 2),
        Spec("page", f"/series/{MAIN_CODE}", None, 4),
        Spec("page", f"/series/{MAIN_CODE}", "session", 4),
        Spec("page", f"/series/{MAIN_CODE}?lang=zh", "session", 2),
        Spec("page", f"/series/{others[0]}", "session", 3),
        Spec("api-history", f"/api/v1/series/{main}/prices", "subscriber", 12),
        Spec("api-history", f"/api/v1/series/{MAIN_CODE}/prices", "reader", 2),
        Spec("api-latest", "/api/v1/prices/latest", "subscriber", 8),
        Spec("api-latest", "/api/v1/prices/latest?group=precious-metals", "subscriber", 6),
        Spec("api-latest", "/api/v1/prices/latest?entry=silver&lang=zh", "subscriber", 4),
        Spec("api-latest", "/api/v1/prices/latest", "reader", 2),
        Spec("feed", "/feeds/precious-metals/rss?lang=zh", None, 5),
        Spec("feed", "/feeds/precious-metals/rss", None, 3),
        Spec("feed", "/feeds/base-metals/rss", None, 2),
    ]
    share, extra = divmod(16, len(others))
    for n, code in enumerate(others):
        specs.append(
            Spec("api-history", f"/api/v1/series/{code}/prices", "subscriber", share + (n < extra))
        )
    return specs


def schedule(specs: list[Spec]) -> list[Spec]:
    """One cycle of a smooth weighted round robin: each spec as often as its weight, spread."""
    total = sum(s.weight for s in specs)
    current = [0] * len(specs)
    out = []
    for _ in range(total):
        for i, spec in enumerate(specs):
            current[i] += spec.weight
        best = max(range(len(specs)), key=lambda i: current[i])
        current[best] -= total
        out.append(specs[best])
    return out


def pick_codes(listing: list[dict[str, Any]], wanted: int) -> list[str]:
    known = [str(item["code"]) for item in listing if item.get("status", "active") == "active"]
    codes = [c for c in (MAIN_CODE, *PREFERRED_CODES) if c in known]
    for code in known:
        if len(codes) >= wanted:
            break
        if code not in codes:
            codes.append(code)
    if MAIN_CODE not in codes:
        codes.insert(0, MAIN_CODE)  # its answers will show what is wrong (404)
    return codes[: max(wanted, 1)]


# --- the client ----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class KindStats:
    requests: int = 0
    in_window: int = 0  # answered (or failed) inside the level's window
    ok_in_window: int = 0
    ok_ms: list[float] = field(default_factory=list)
    # The successful answers to requests sent once the opening burst (every client's first
    # request at the same instant) has had BURST_S to clear: the level's steady state.
    steady_ms: list[float] = field(default_factory=list)
    ms_503: list[float] = field(default_factory=list)  # how long a refusal took
    errors: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    status_503: int = 0
    retry_after_503: int = 0
    problem_503: int = 0
    clean_503: int = 0
    slow: int = 0  # health only: answers slower than HEALTH_FLOOR
    limited: int = 0  # 429s of the free key: its plan's 60 a minute, the limit doing its job

    def record_answer(self, response: Answer, ms: float, *, free_key: bool = False) -> bool:
        self.bytes += len(response.content)
        status = response.status_code
        if 200 <= status < 300 or status == 304:
            self.ok_ms.append(ms)
            return True
        if status == 429 and free_key:
            self.limited += 1
            return False
        self.errors[str(status)] += 1
        if status == 503:
            self.status_503 += 1
            self.ms_503.append(ms)
            retry = "retry-after" in response.headers
            problem = False
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                with contextlib.suppress(ValueError):
                    body = response.json()
                    problem = isinstance(body, dict) and body.get("status") == 503
            self.retry_after_503 += retry
            self.problem_503 += problem
            self.clean_503 += retry and problem
        return False

    def summary(self, seconds: float) -> dict[str, Any]:
        ok = self.ok_ms
        return {
            "requests": self.requests,
            "ok": len(ok),
            "req_per_s": self.in_window / seconds if seconds > 0 else 0.0,
            "ok_per_s": self.ok_in_window / seconds if seconds > 0 else 0.0,
            "p50_ms": percentile(ok, 0.5) if ok else None,
            "p99_ms": percentile(ok, 0.99) if ok else None,
            "max_ms": max(ok) if ok else None,
            "steady_p99_ms": percentile(self.steady_ms, 0.99) if self.steady_ms else None,
            "errors": dict(self.errors.most_common()),
            "bytes": self.bytes,
            "503": {
                "count": self.status_503,
                "retry_after": self.retry_after_503,
                "problem_json": self.problem_503,
                "clean": self.clean_503,
                "p50_ms": percentile(self.ms_503, 0.5) if self.ms_503 else None,
                "max_ms": max(self.ms_503) if self.ms_503 else None,
            },
            "slower_than_1s": self.slow,
            "free_plan_429": self.limited,
        }


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "reset"
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return "reset"
    return f"other:{type(exc).__name__}"


@dataclass
class Context:
    base: str
    subscriber_keys: list[str]
    reader_key: str
    spare_key: str  # outside the mix: its rate limit is never spent by the load
    session: str | None
    timeout: float

    def headers(self, spec: Spec, turn: int) -> dict[str, str]:
        if spec.auth == "subscriber":
            key = self.subscriber_keys[turn % len(self.subscriber_keys)]
            return {"Authorization": f"Bearer {key}"}
        if spec.auth == "reader":
            return {"Authorization": f"Bearer {self.reader_key}"}
        if spec.auth == "session" and self.session:
            return {"Cookie": f"mw_session={self.session}"}
        return {}


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    content: bytes  # as sent: compressed bodies are not decompressed (the client's CPU)

    def json(self) -> Any:
        return json.loads(self.content)


def http_session(connections: int) -> aiohttp.ClientSession:
    """The measured requests' client: aiohttp, which costs the shared cores far less per request
    than httpx (at 200 clients one httpx process used a whole core for ~220 requests a second),
    keeping no cookies and not decompressing (bytes are counted as sent)."""
    connector = aiohttp.TCPConnector(
        limit=connections, limit_per_host=connections, ttl_dns_cache=None
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=False,
    )


async def send(
    client: aiohttp.ClientSession, url: str, headers: dict[str, str], timeout: float
) -> Answer:
    """One GET with an absolute deadline: connect, send, wait and body."""
    async with asyncio.timeout(timeout):
        async with client.get(url, headers=headers, allow_redirects=False) as response:
            body = await response.read()
            return Answer(response.status, response.headers, body)


@dataclass
class Level:
    clients: int
    seconds: float
    stats: dict[str, KindStats] = field(default_factory=lambda: {k: KindStats() for k in KINDS})
    capped: bool = False
    elapsed: float = 0.0
    lag_ms: list[float] = field(default_factory=list)
    health_peaks: dict[str, float] = field(default_factory=dict)
    rss_before: tuple[int, int] = (0, 0)
    rss_after: tuple[int, int] = (0, 0)
    recovery: dict[str, float | None] = field(default_factory=dict)
    stragglers_cancelled: int = 0
    interrupted: bool = False
    steady_from: float = 0.0  # time.monotonic() after which a request counts as steady state
    started_wall: float = 0.0  # time.time() at the level's start: where the minutes turned
    # (seconds since the level's start when sent, milliseconds) of every answer but health's
    timeline: list[tuple[float, float]] = field(default_factory=list)
    client_cpu_s: float = 0.0  # this script's CPU time during the level
    server_cpu_s: float = 0.0  # the server's (all its processes)

    def as_dict(self) -> dict[str, Any]:
        kinds = {k: s.summary(self.elapsed) for k, s in self.stats.items()}
        total = KindStats()
        for kind, s in self.stats.items():
            if kind == "health":
                continue
            total.requests += s.requests
            total.in_window += s.in_window
            total.ok_in_window += s.ok_in_window
            total.ok_ms += s.ok_ms
            total.steady_ms += s.steady_ms
            total.ms_503 += s.ms_503
            total.errors.update(s.errors)
            total.bytes += s.bytes
            total.status_503 += s.status_503
            total.retry_after_503 += s.retry_after_503
            total.problem_503 += s.problem_503
            total.clean_503 += s.clean_503
            total.limited += s.limited
        kinds["all"] = total.summary(self.elapsed)
        return {
            "clients": self.clients,
            "duration_s": self.seconds,
            "elapsed_s": self.elapsed,
            "capped": self.capped,
            "kinds": kinds,
            "client_loop_lag_ms": {
                "p99": percentile(self.lag_ms, 0.99) if self.lag_ms else None,
                "max": max(self.lag_ms) if self.lag_ms else None,
            },
            "healthz_peaks": self.health_peaks,
            "server_rss_bytes": {"before": self.rss_before[0], "after": self.rss_after[0]},
            "server_processes": {"before": self.rss_before[1], "after": self.rss_after[1]},
            "recovery_s": self.recovery,
            "cpu_s": {"client": self.client_cpu_s, "server": self.server_cpu_s},
            "stragglers_cancelled": self.stragglers_cancelled,
            "interrupted": self.interrupted,
            "slowest_seconds": self.slowest_seconds(),
        }

    def slowest_seconds(self, count: int = 4) -> list[dict[str, Any]]:
        """The seconds of the level whose requests waited longest (p99), with the second of the
        wall-clock minute each began at: what a tail is made of (the opening burst, a minute
        turning, a collection) rather than one figure for the level."""
        by_second: dict[int, list[float]] = {}
        for offset, ms in self.timeline:
            by_second.setdefault(int(offset), []).append(ms)
        ranked = sorted(
            ((percentile(v, 0.99), second, len(v)) for second, v in by_second.items() if v),
            reverse=True,
        )
        return [
            {
                "second": second,
                "second_of_minute": int(self.started_wall + second) % 60,
                "p99_ms": p99,
                "answers": answers,
            }
            for p99, second, answers in ranked[:count]
        ]


class Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def virtual_client(
    number: int,
    http: aiohttp.ClientSession,
    ctx: Context,
    cycle: list[Spec],
    level: Level,
    stop_at: float,
    budget: Budget,
    think: float,
) -> None:
    rng = random.Random(SEED * 100_003 + number)
    position = (number * STRIDE) % len(cycle)
    sent = 0  # a client's requests go round the subscriber keys, one key after another
    while time.monotonic() < stop_at:
        if not budget.take():
            level.capped = True
            return
        spec = cycle[position]
        position = (position + 1) % len(cycle)
        stats = level.stats[spec.kind]
        stats.requests += 1
        sent_at = time.monotonic()
        sent += 1
        started = time.perf_counter()
        ok = False
        try:
            response = await send(
                http, ctx.base + spec.path, ctx.headers(spec, number + sent), ctx.timeout
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.errors[error_kind(exc)] += 1
        except asyncio.CancelledError:  # the level was cut or interrupted mid-request
            stats.errors["cancelled"] += 1
            raise
        else:
            ms = (time.perf_counter() - started) * 1000
            ok = stats.record_answer(response, ms, free_key=spec.auth == "reader")
            if ok and sent_at >= level.steady_from:
                stats.steady_ms.append(ms)
            if ok and spec.kind != "health":
                level.timeline.append((sent_at - level.steady_from + BURST_S, ms))
        if time.monotonic() <= stop_at:
            stats.in_window += 1
            stats.ok_in_window += ok
        if think > 0:
            pause = think * rng.uniform(0.5, 1.5)
            await asyncio.sleep(max(0.0, min(pause, stop_at - time.monotonic())))


def _note_health(level: Level, response: Answer) -> None:
    """Peaks of the numbers /healthz tells about the worker's queue, when it tells any."""
    with contextlib.suppress(ValueError):
        body = response.json()
        if not isinstance(body, dict):
            return
        for section in ("requests", "pool"):
            values = body.get(section)
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    key = f"{section}.{name}"
                    level.health_peaks[key] = max(level.health_peaks.get(key, value), value)


async def health_probe(base: str, level: Level, stop_at: float) -> None:
    stats = level.stats["health"]

    async def probe(http: aiohttp.ClientSession) -> None:
        stats.requests += 1
        started = time.perf_counter()
        try:
            response = await send(http, f"{base}/healthz", {}, HEALTH_TIMEOUT)
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.errors[error_kind(exc)] += 1
            stats.slow += 1
        else:
            ms = (time.perf_counter() - started) * 1000
            stats.ok_in_window += stats.record_answer(response, ms)
            stats.slow += ms > HEALTH_FLOOR * 1000
            _note_health(level, response)
        stats.in_window += 1

    async with http_session(8) as http:
        # Each probe is a task of its own, so a hung probe does not delay the next tick.
        probes: set[asyncio.Task[None]] = set()
        tick = time.monotonic()
        try:
            while tick < stop_at:
                task = asyncio.create_task(probe(http))
                probes.add(task)
                task.add_done_callback(probes.discard)
                tick += HEALTH_INTERVAL
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
            if probes:
                await asyncio.wait(probes, timeout=HEALTH_TIMEOUT + 1)
        finally:
            for task in probes:
                task.cancel()


async def lag_monitor(level: Level, stop_at: float) -> None:
    """How late the client's own event loop wakes up: its share of the measured latencies."""
    while time.monotonic() < stop_at:
        before = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        level.lag_ms.append(max(0.0, (time.perf_counter() - before - LAG_TICK) * 1000))


async def run_level(
    ctx: Context,
    cycle: list[Spec],
    level: Level,
    think: float,
    max_requests: int,
) -> None:
    budget = Budget(max_requests)
    # Connections: level.clients in all, in one pool (aiohttp hands a freed connection to the
    # next waiter directly; httpx's pool had to be split in shards of 25 for that).
    async with http_session(level.clients) as pool:
        started = time.monotonic()
        level.started_wall = time.time()
        stop_at = started + level.seconds
        level.steady_from = started + BURST_S
        workers = [
            asyncio.create_task(virtual_client(n, pool, ctx, cycle, level, stop_at, budget, think))
            for n in range(level.clients)
        ]
        side = [
            asyncio.create_task(health_probe(ctx.base, level, stop_at)),
            asyncio.create_task(lag_monitor(level, stop_at)),
        ]
        try:
            # A request started just before the end may take up to --timeout: then stop.
            await asyncio.wait(
                workers + side, timeout=level.seconds + max(ctx.timeout, HEALTH_TIMEOUT) + 2
            )
        finally:
            leftovers = [t for t in workers + side if not t.done()]
            level.stragglers_cancelled = len(leftovers)
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
            level.elapsed = min(time.monotonic(), stop_at) - started
        for task in workers + side:
            failure = None if task.cancelled() else task.exception()
            if failure is not None:
                raise failure


async def recovery(ctx: Context, code: str) -> dict[str, float | None]:
    """Seconds until a fresh plain request answers 200 again (None: not within 10 s)."""

    async def until_ok(path: str, headers: dict[str, str]) -> float | None:
        started = time.monotonic()
        deadline = started + RECOVERY_WINDOW
        async with http_session(1) as http:
            while time.monotonic() < deadline:
                left = deadline - time.monotonic()
                with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                    response = await send(http, ctx.base + path, headers, max(left, 0.01))
                    if response.status_code == 200:
                        return time.monotonic() - started
                await asyncio.sleep(min(RECOVERY_POLL, max(0.0, deadline - time.monotonic())))
        return None

    history = f"/api/v1/series/{code}/prices"
    auth = {"Authorization": f"Bearer {ctx.spare_key}"}
    home, api = await asyncio.gather(until_ok("/", {}), until_ok(history, auth))
    return {"/": home, history: api}


async def sign_in(base: str, timeout: float) -> str | None:
    async with httpx.AsyncClient(base_url=base, timeout=timeout, trust_env=False) as http:
        form = await http.get("/sign-in")
        found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if form.status_code != 200 or found is None:
            return None
        answer = await http.post(
            "/sign-in",
            data={
                "email": SUBSCRIBER,
                "password": DEMO_PASSWORD,
                "csrf_token": found.group(1),
                "next": "/",
            },
        )
        token = answer.cookies.get("mw_session") or http.cookies.get("mw_session")
        return str(token) if answer.status_code == 303 and token else None


async def discover(base: str, key: str, timeout: float) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = f"{base}/api/v1/series?limit=500"
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as http:
        while url and len(items) < 5000:
            response = await http.get(url, headers={"Authorization": f"Bearer {key}"})
            response.raise_for_status()
            page = response.json()
            items.extend(page.get("items", []))
            url = page.get("next")
    return items


async def validate(ctx: Context, specs: list[Spec]) -> list[str]:
    """Each request of the mix once, in turn: its status (this also warms the caches)."""
    lines = []
    async with http_session(1) as http:
        for spec in specs:
            started = time.perf_counter()
            try:
                response = await send(http, ctx.base + spec.path, ctx.headers(spec, 0), ctx.timeout)
                outcome = f"{response.status_code} {len(response.content) / 1e3:7.1f} KB"
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcome = error_kind(exc)
            ms = (time.perf_counter() - started) * 1000
            auth = f" ({spec.auth})" if spec.auth else ""
            lines.append(f"    {spec.kind:<11} {outcome:<16} {ms:7.1f} ms  {spec.path}{auth}")
    return lines


# --- reporting -----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def describe_errors(summary: dict[str, Any]) -> str:
    parts = []
    for kind, count in summary["errors"].items():
        part = f"{kind} x{count:,}"
        if kind == "503":
            s = summary["503"]
            part += f" (clean {s['clean']:,}/{s['count']:,}, in {_ms(s['p50_ms'])} ms p50"
            if s["clean"] < s["count"]:
                part += f"; Retry-After {s['retry_after']:,}, problem+json {s['problem_json']:,}"
            part += ")"
        parts.append(part)
    if summary.get("free_plan_429"):
        parts.append(f"(not errors: {summary['free_plan_429']:,} free-plan 429s)")
    return ", ".join(parts) or "-"


def print_level(name: str, level: Level, data: dict[str, Any]) -> None:
    print(
        f"\n{name}: {level.clients} clients, {level.elapsed:.1f} s"
        + (" (capped at --max-requests)" if level.capped else "")
    )
    print(
        f"  {'kind':<12} {'requests':>9} {'req/s':>8} {'ok/s':>8} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'max ms':>9} {'p99 steady':>10}  errors"
    )
    for kind in (*KINDS, "all"):
        s = data["kinds"][kind]
        if kind != "all" and s["requests"] == 0:
            continue
        errors = describe_errors(s)
        if kind == "health":
            errors += f"; within 1 s: {s['requests'] - s['slower_than_1s']}/{s['requests']}"
        print(
            f"  {kind:<12} {s['requests']:>9,} {s['req_per_s']:>8,.1f} {s['ok_per_s']:>8,.1f} "
            f"{_ms(s['p50_ms']):>9} "
            f"{_ms(s['p99_ms']):>9} {_ms(s['max_ms']):>9} {_ms(s['steady_p99_ms']):>10}  {errors}"
        )
    before, after = level.rss_before, level.rss_after
    lag = data["client_loop_lag_ms"]
    print(
        f"  server RSS {before[0] / 2**20:,.1f} MiB ({before[1]} processes) -> "
        f"{after[0] / 2**20:,.1f} MiB ({after[1]}); client loop lag p99 {_ms(lag['p99'])} ms, "
        f"max {_ms(lag['max'])} ms"
        + (f"; {level.stragglers_cancelled} tasks cancelled" if level.stragglers_cancelled else "")
    )
    if level.elapsed > 0:
        # The client shares the cores: a client near 100 % of one core limits what is measured.
        print(
            f"  CPU (share of one core): client {level.client_cpu_s / level.elapsed:.0%}, "
            f"server {level.server_cpu_s / level.elapsed:.0%} ({os.cpu_count()} cores)"
        )
    slowest = data.get("slowest_seconds") or []
    if slowest:
        print(
            "  slowest seconds (p99 ms, at second N of the level / :SS of the minute): "
            + ", ".join(
                f"{_ms(s['p99_ms'])} at {s['second']} / :{s['second_of_minute']:02d}"
                for s in slowest
            )
        )
    if level.health_peaks:
        peaks = ", ".join(
            f"{k} {v:g}"
            for k, v in level.health_peaks.items()
            if not k.endswith(("capacity", "queue_limit", "size", "served"))  # constants, totals
        )
        print(f"  /healthz peaks: {peaks}")
    rec = (
        ", ".join(
            f"{path} {'not within 10 s' if s is None else f'{s:.2f} s'}"
            for path, s in level.recovery.items()
        )
        or "not measured"
    )
    print(f"  recovery (200 again): {rec}")


def print_summary(targets: list[dict[str, Any]]) -> None:
    print("\nsummary (all kinds but health)")
    print(
        f"  {'target':<22} {'clients':>7} {'req/s':>8} {'ok/s':>8} {'ok %':>6} {'p99 ms':>9} "
        f"{'p99 steady':>10} {'health max':>10} {'RSS MiB':>8} {'recovery s':>11}  errors"
    )
    for target in targets:
        for level in target["levels"]:
            s = level["kinds"]["all"]
            health = level["kinds"]["health"]
            ok = 100 * s["ok"] / s["requests"] if s["requests"] else 0.0
            rec = list(level["recovery_s"].values())
            worst = "none" if any(v is None for v in rec) else f"{max(rec):.2f}" if rec else "-"
            health_max = _ms(health["max_ms"])
            if health["slower_than_1s"]:
                health_max = f"{health['slower_than_1s']}>1s"
            print(
                f"  {target['name']:<22} {level['clients']:>7} {s['req_per_s']:>8,.1f} "
                f"{s['ok_per_s']:>8,.1f} "
                f"{ok:>6.1f} {_ms(s['p99_ms']):>9} {_ms(s['steady_p99_ms']):>10} {health_max:>10} "
                f"{level['server_rss_bytes']['after'] / 2**20:>8,.1f} {worst:>11}  "
                f"{describe_errors(s)}"
            )
        stop = target.get("stop") or {}
        if stop.get("seconds") is not None:
            how = "SIGKILL after 10 s" if stop.get("killed") else "SIGTERM"
            print(f"  {target['name']}: stopped in {stop['seconds']:.2f} s ({how})")


# --- a target ------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    workers: int
    sqlite: Path | None = None


def run_target(target: Target, args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": target.name,
        "database": redact(target.url),
        "workers": target.workers,
        "levels": [],
        "started": False,
    }
    print(f"\n== {target.name}: {redact(target.url)}, {target.workers} worker(s)")
    if target.sqlite is not None and not target.sqlite.exists():
        if not args.build:
            print(
                f"  no demo database at {target.sqlite}; build it with\n    "
                f"{build_commands(target.url)}\n  or rerun with --build"
            )
            result["error"] = "no database"
            return result
        target.sqlite.parent.mkdir(parents=True, exist_ok=True)
    if args.build and (target.sqlite is None or not target.sqlite.exists()):
        started = time.monotonic()
        build_demo(target.url)
        result["build_s"] = time.monotonic() - started
        deadline += result["build_s"]  # the deadline bounds the load, not the build

    keys: list[Key] = []
    started = time.perf_counter()
    try:
        # The last subscriber key is the spare, then the free reader's.
        keys = create_keys(target.url, [SUBSCRIBER] * (args.keys + 1) + [READER])
    except RuntimeError as exc:
        print(
            f"  {exc}\n  is the demo market there? build it with\n    {build_commands(target.url)}"
        )
        result["error"] = str(exc)
        return result
    print(f"  {len(keys)} API keys created in {time.perf_counter() - started:.1f} s")

    server = Server(
        target.name, target.url, target.workers, free_port(), OUT / f"bench_load-{target.name}.log"
    )
    try:
        try:
            server.start(args.start_timeout)
        except RuntimeError as exc:
            print(f"  the server did not start: {exc}; its log ({server.log}):")
            print(log_tail(server.log))
            print(f"  (is the database migrated and the demo built? {build_commands(target.url)})")
            result["error"] = str(exc)
            return result
        result["started"] = True
        result["start_s"] = server.started_in
        print(
            f"  server on {server.base} (pid {server.process.pid if server.process else '?'}, "
            f"log {server.log}), /healthz 200 after {server.started_in:.1f} s"
        )
        asyncio.run(exercise(server, target, keys, args, deadline, result))
    except KeyboardInterrupt:
        result["interrupted"] = True
        print("\n  interrupted: stopping the server")
    except Exception as exc:  # report it, stop the server, go on with the next target
        result["error"] = f"{type(exc).__name__}: {exc}"
        print(f"  the run failed: {result['error']}")
    finally:
        stop = server.terminate()
        if stop:
            result["stop"] = stop
            if "seconds" in stop:
                how = "killed (SIGKILL) after" if stop["killed"] else "stopped after SIGTERM in"
                print(f"  server {how} {stop['seconds']:.2f} s ({stop['processes']} processes)")
            else:
                print(f"  the server had already exited ({stop.get('returncode')})")
        if not result.get("interrupted"):
            revoked = revoke_keys(target.url, keys)
            print(f"  {revoked} of {len(keys)} API keys revoked")
        elif keys:
            ids = " ".join(str(k.key_id) for k in keys)
            print(f"  API keys left active (revoke: metalwire key revoke ID): {ids}")
    return result


async def exercise(
    server: Server,
    target: Target,
    keys: list[Key],
    args: argparse.Namespace,
    deadline: float,
    result: dict[str, Any],
) -> None:
    assert server.process is not None
    *subscriber_keys, spare_key = [k.secret for k in keys if k.email == SUBSCRIBER]
    reader_key = next(k.secret for k in keys if k.email == READER)
    listing = await discover(server.base, spare_key, args.timeout)
    codes = pick_codes(listing, args.series)
    session = await sign_in(server.base, args.timeout)
    ctx = Context(server.base, subscriber_keys, reader_key, spare_key, session, args.timeout)
    specs = release_mix(codes)
    cycle = schedule(specs)
    result["codes"] = codes
    result["mix"] = [
        {"kind": s.kind, "path": s.path, "auth": s.auth, "weight": s.weight} for s in specs
    ]
    print(f"  {len(listing)} series listed; history set: {', '.join(codes)}")
    print(f"  subscriber session: {'signed in' if session else 'sign-in FAILED (anonymous)'}")
    print("  validation pass (each request of the mix once):")
    print("\n".join(await validate(ctx, specs)))

    for number, clients in enumerate(args.clients):
        if number:
            await asyncio.sleep(PAUSE)
        # What a level needs beyond its duration: stragglers, recovery, the pause, stopping.
        reserve = args.timeout + RECOVERY_WINDOW + PAUSE + STOP_GRACE + 5
        seconds = min(args.duration, deadline - time.monotonic() - reserve)
        if seconds < 1:
            print(f"\n  the run's --deadline leaves no time for {clients} clients: skipped")
            result.setdefault("skipped", []).append(clients)
            continue
        level = Level(clients, seconds)
        level.rss_before = rss_bytes(server.process.pid)
        cpu_before = client_cpu_seconds(), cpu_seconds(server.process.pid)
        level.interrupted = True  # until it ends: Ctrl-C keeps what it measured
        try:
            async with asyncio.timeout(seconds + args.timeout + HEALTH_TIMEOUT + 30):
                await run_level(ctx, cycle, level, args.think, args.max_requests)
            level.interrupted = False
        except TimeoutError:
            level.interrupted = False
            print("  the level overran its hard limit and was cut")
            result.setdefault("cut", []).append(clients)
        finally:
            level.rss_after = rss_bytes(server.process.pid)
            level.client_cpu_s = client_cpu_seconds() - cpu_before[0]
            level.server_cpu_s = cpu_seconds(server.process.pid) - cpu_before[1]
            if level.interrupted:
                data = level.as_dict()
                result["levels"].append(data)
                print_level(f"{target.name} (interrupted)", level, data)
        level.recovery = await recovery(ctx, codes[0])
        data = level.as_dict()
        result["levels"].append(data)
        print_level(target.name, level, data)
        if server.process.poll() is not None:
            print(f"  the server exited ({server.process.returncode}); log {server.log}:")
            print(log_tail(server.log))
            result["server_died_at"] = clients
            break


# --- main ----------------------------------------------------------------------------------


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of client counts: {text}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("client counts must be >= 1")
    return levels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=_levels, default=[1, 50, 200, 500], help="levels")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per level")
    parser.add_argument("--think", type=float, default=0.0, help="think time, jittered +-50%%")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for SQLite")
    parser.add_argument("--sqlite", type=Path, default=OUT / "demo.db", help="demo database")
    parser.add_argument("--postgres-url", help="also a PostgreSQL demo database (2 workers)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--build", action="store_true", help="build a missing demo database")
    parser.add_argument("--keys", type=int, default=8, help="subscriber API keys to spread over")
    parser.add_argument("--series", type=int, default=4, help="series codes in the history mix")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--max-requests", type=int, default=250_000, help="cap per level")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="server start, s")
    parser.add_argument("--deadline", type=float, help="seconds for the whole run")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.keys < 1 or args.series < 1 or args.duration <= 0 or args.think < 0:
        parser.error("--keys and --series >= 1, --duration > 0, --think >= 0")

    targets = []
    if not args.no_sqlite:
        path = args.sqlite.resolve()
        targets.append(Target(f"sqlite-{args.workers}w", f"sqlite:///{path}", args.workers, path))
    if args.postgres_url:
        targets.append(Target(f"postgres-{PG_WORKERS}w", args.postgres_url, PG_WORKERS))
    if not targets:
        parser.error("nothing to run: --no-sqlite without --postgres-url")
    if args.deadline is None:
        per_level = args.duration + args.timeout + RECOVERY_WINDOW + PAUSE + 20
        args.deadline = len(targets) * (len(args.clients) * per_level + 120 + args.start_timeout)
    deadline = time.monotonic() + args.deadline

    # Many sockets at once; the server inherits the raised soft limit too.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the server on SIGTERM too
    OUT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"release-moment load: levels {args.clients} clients x {args.duration:g} s, think "
        f"{args.think:g} s, timeout {args.timeout:g} s, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f}; run deadline {args.deadline:.0f} s"
    )
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {
            "clients": args.clients,
            "duration_s": args.duration,
            "think_s": args.think,
            "timeout_s": args.timeout,
            "keys": args.keys,
            "max_requests": args.max_requests,
            "deadline_s": args.deadline,
        },
        "machine": {"cpus": os.cpu_count(), "load_average": load},
        "targets": [],
    }
    failed = False
    try:
        for target in targets:
            if time.monotonic() >= deadline:
                print(f"\n{target.name}: skipped, the run's deadline has passed")
                continue
            outcome = run_target(target, args, deadline)
            deadline += outcome.get("build_s", 0.0)
            report["targets"].append(outcome)
            failed |= not outcome["started"]
            if outcome.get("interrupted"):
                report["interrupted"] = True
                break
    finally:
        print_summary(report["targets"])
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2) + "\n")
            print(f"\nresults written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
