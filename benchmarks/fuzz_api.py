"""A deeper schemathesis pass over the JSON API than tests/test_schemathesis.py (issue #13, 8).

Run: .venv/bin/python benchmarks/fuzz_api.py [--examples 200] [--deadline 170] [--seed 13]
     [--no-stateful] [--operation SUBSTRING ...]

Data: a scratch SQLite database in a temporary folder, migrated, reference data synced, the
demo series AG-INGOT-CN-SPOT and AG-INGOT-CN-PREMIUM defined and an admin with an enterprise
plan and a `publish` key (the set-up of tests/test_schemathesis.py, copied, not imported: a
benchmark does not depend on the test suite). The real app answers over schemathesis' ASGI
transport, every request with the admin's key, so the writes get past authentication.

Phases: first every operation of /api/v1/openapi.json with --examples generated cases each
(Hypothesis, no shrinking: a failure is recorded and the run goes on, so one bad route does
not eat the time of the others), then the stateful phase (schemathesis' state machine over
the links it infers between operations) with the time left. The checks are the test's:
no 5xx, documented status codes, content types and response schemas; a schema-valid request
refused with a documented 422 passes.

--deadline bounds the whole run in seconds: each operation gets an equal share of the time
left (an operation that finishes early leaves its time to the others); the stateful phase gets
what is left, at least a tenth. Prints per operation the examples run and the failures, the
first failing case as a curl line; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import checks
from schemathesis.core.result import Ok
from sqlalchemy import Engine

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.demo.series import demo_series
from metalwire.reference_data import sync_reference_data
from metalwire.settings import load_settings
from metalwire.web.app import create_app

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
SERIES = ("AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM")
ADMIN = "admin@desk.cn"


class OutOfTime(Exception):
    """The operation's share of the deadline is spent: stop generating for it."""


@dataclass
class Tally:
    examples: int = 0
    failures: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # failure title -> count
    first: str | None = None  # the first failing case as a curl line, with what failed
    seconds: float = 0.0
    note: str = ""


def scratch_app(folder: Path) -> tuple[Any, str, Engine]:
    """The app on a fresh database with the test's data, the admin's key and the engine."""
    url = f"sqlite:///{folder / 'fuzz.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        sync_reference_data(session)
    wanted = {d.code: d for d in demo_series()}
    with transaction(sessions) as session:
        for code in SERIES:
            definition = SeriesDefinition.model_validate(wanted[code].model_dump())
            define_series(session, definition, actor="fuzz")
    with transaction(sessions) as session:
        accounts.add_user(session, ADMIN, role=Role.ADMIN, plan="enterprise", actor="fuzz")
        key = accounts.create_api_key(session, ADMIN, Scope.PUBLISH, actor="fuzz").secret
    return create_app(load_settings(database_url=url), engine=engine), key, engine


def _title(exc: BaseException) -> str:
    """One line per kind of failure: schemathesis groups several checks' failures."""
    inner = getattr(exc, "exceptions", None)
    if inner:
        return "; ".join(sorted({_title(e) for e in inner}))
    title = str(getattr(exc, "title", None) or type(exc).__name__).splitlines()[0]
    status = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()
    detail = f" {status}" if status else (f": {message[0]}" if message else "")
    return f"{title}{detail}"[:200]


def _record(
    tally: Tally, case: schemathesis.Case[Any], headers: dict[str, str], exc: BaseException
) -> None:
    tally.failures += 1
    kind = _title(exc)
    tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
    if tally.first is None:
        curl = case.as_curl_command(headers=headers, base_url="http://localhost")
        tally.first = f"{curl}\n      -> {kind}"


def fuzz_operation(
    operation: Any, headers: dict[str, str], examples: int, until: float, run_seed: int
) -> Tally:
    tally = Tally()
    started = time.monotonic()

    @seed(run_seed)
    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are recorded, not raised
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case[Any]) -> None:
        if time.monotonic() > until:
            raise OutOfTime
        tally.examples += 1
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        # A failed check (schemathesis groups them in a BaseExceptionGroup), or the app raising
        # through the transport.
        except (Exception, BaseExceptionGroup) as exc:
            _record(tally, case, headers, exc)

    try:
        check()
    except OutOfTime:
        tally.note = "deadline"
    except (Exception, BaseExceptionGroup) as exc:  # e.g. a schema it cannot generate from
        tally.note = f"not run: {_title(exc)}"
    tally.seconds = time.monotonic() - started
    return tally


def fuzz_stateful(schema: Any, headers: dict[str, str], examples: int, until: float) -> Tally:
    """Sequences of calls along the inferred links (a created draft's id into approve ...)."""
    tally = Tally()
    started = time.monotonic()
    try:
        base = schema.as_state_machine()
    except Exception as exc:
        tally.note = f"not run: {_title(exc)}"
        return tally

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case[Any],
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            if time.monotonic() > until:
                raise OutOfTime
            tally.examples += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:
                _record(tally, case, headers, exc)

    machine_settings = settings(
        max_examples=examples,
        stateful_step_count=10,
        deadline=None,
        database=None,
        derandomize=True,  # reproducible: a state machine takes no @seed
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    try:
        Machine.run(settings=machine_settings)
    except OutOfTime:
        tally.note = "deadline"
    except (Exception, BaseExceptionGroup) as exc:
        text = _title(exc)
        tally.note = f"not run: {text}" if not tally.examples else f"stopped: {text}"
    tally.seconds = time.monotonic() - started
    return tally


def report(label: str, tally: Tally, out: Callable[[str], None]) -> None:
    note = f" ({tally.note})" if tally.note else ""
    out(f"{label:<58} {tally.examples:>5} ex {tally.failures:>4} fail {tally.seconds:6.1f} s{note}")
    for kind, count in sorted(tally.kinds.items(), key=lambda kv: -kv[1]):
        out(f"    {count} x {kind}")
    if tally.first:
        out(f"    first: {tally.first}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="generated cases per operation")
    parser.add_argument("--deadline", type=float, default=170.0, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-stateful", action="store_true")
    parser.add_argument("--operation", action="append", default=[], help="label substring")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Hypothesis and schemathesis advice, not findings
    begun = time.monotonic()
    end = begun + args.deadline
    with tempfile.TemporaryDirectory(prefix="metalwire-fuzz-") as folder:
        app, key, engine = scratch_app(Path(folder))
        headers = {"Authorization": f"Bearer {key}"}
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        operations, broken = [], []
        for result in schema.get_all_operations():
            if isinstance(result, Ok):
                operations.append(result.ok())
            else:  # an operation schemathesis cannot read is a schema failure of its own
                broken.append(result.err())
        for error in broken:
            print(f"unreadable operation: {_title(error)}", flush=True)
        if args.operation:
            operations = [o for o in operations if any(s in o.label for s in args.operation)]
        print(
            f"schemathesis {schemathesis.__version__}: {len(operations)} operations, "
            f"{args.examples} examples each, deadline {args.deadline:.0f} s",
            flush=True,
        )
        reserve = 0.0 if args.no_stateful else args.deadline / 10
        totals = Tally()
        for number, operation in enumerate(operations):
            left = end - reserve - time.monotonic()
            until = time.monotonic() + max(left, 0) / (len(operations) - number)
            tally = fuzz_operation(operation, headers, args.examples, until, args.seed)
            report(operation.label, tally, lambda line: print(line, flush=True))
            totals.examples += tally.examples
            totals.failures += tally.failures
        stateful = Tally(note="skipped")
        if not args.no_stateful:
            stateful = fuzz_stateful(schema, headers, args.examples, end)
            report("stateful (inferred links)", stateful, lambda line: print(line, flush=True))
        failed = totals.failures + stateful.failures + len(broken)
        print(
            f"total: {len(operations)} operations, {totals.examples} examples + "
            f"{stateful.examples} stateful calls, {failed} failures, "
            f"{time.monotonic() - begun:.1f} s",
            flush=True,
        )
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
