"""Crash safety at the moment of release, on SQLite and PostgreSQL.

Each operation the desk releases or imports with is run as the real CLI in its own process and
killed with SIGKILL (``kill -9``) in the middle of its transaction: after its first write, after
about half of them, and with every write flushed just before COMMIT. After every kill the
database must be exactly as before (no partial write), the rerun must succeed and leave what
one uninterrupted run leaves on a copy of the same database (same rows, as many audit events),
and running the command once more must change nothing.

A kill just after COMMIT is the other half of a crash at release: the operator sees a dead
process and cannot tell whether it worked. The whole run must be there, and the retry must be
harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from metalwire.audit import verify_trail
from metalwire.catalog.models import Tier
from metalwire.newsroom import reports
from metalwire.pricing.assessing import assess_day
from metalwire.supply import service as supply
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.returns import import_returns
from tests.conftest import Desk, ScratchDatabase
from tests.reliability.harness import (
    changed_tables,
    comparable,
    comparable_at,
    control_copy,
    differences,
    run_cli,
    snapshot,
)

SILVER = "AG-INGOT-CN-SPOT"
LONDON = "AG-LONDON-SPOT"
DAY = dt.date(2026, 11, 25)  # a Wednesday, a CN trading day
ANALYST, EDITOR = "analyst@desk.cn", "editor@desk.cn"
SURVEY, PERIOD = "AG-OUT", "2025-10"

SUBMISSIONS = "series,date,kind,price,low,high,volume,contributor,received_at,adjustment,note"
RETURNS = (
    "survey,period,respondent,name,province,producer_type,capacity,production,inventory,"
    "forecast_next,reasons,note"
)
RETURN_ROWS = [
    "AG-OUT,2025-09,HN-1,Henan One,Henan,lead-smelter by-product,3600,300,40,290,,",
    "AG-OUT,2025-09,YN-1,Yunnan One,Yunnan,copper-smelter by-product,2400,200,30,200,,",
    "AG-OUT,2025-09,SD-1,Shandong One,Shandong,primary,1200,100,20,100,,",
    "AG-OUT,2025-10,HN-1,,,,,290,20,280,maintenance,",
    "AG-OUT,2025-10,YN-1,,,,,180,15,150,maintenance;inventory-count,",
    "AG-OUT,2025-10,SD-1,,,,,100,10,100,,",
]


# --- what each operation needs -----------------------------------------------------------------


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _submission_file(tmp_path: Path) -> Path:
    rows = [
        f"{SILVER},{DAY},deal,{7840 + 10 * i},,,{10 + i},Trader {i:02},2026-11-25T01:0{i}:00Z,,"
        for i in range(5)
    ] + [
        f"{LONDON},{DAY},deal,{31.25 + i / 100:.3f},,,{20 + i},Trader {i:02},"
        f"2026-11-25T01:0{i}:00Z,,"
        for i in range(3)
    ]
    return _write(tmp_path / "submissions.csv", SUBMISSIONS, rows)


def _submit_day(desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7840", "10"), ("7850", "20"), ("7860", "10")])
    desk.submit(LONDON, DAY, [("31.250", "20"), ("31.300", "10"), ("31.275", "15")])


def _survey(desk: Desk, tmp_path: Path, *, returns: bool) -> Path:
    path = _write(tmp_path / "returns.csv", RETURNS, RETURN_ROWS)
    with desk.db.transaction() as session:
        supply.create_survey(
            session,
            SURVEY,
            entry="silver",
            unit="mt",
            name_en="Silver ingot output",
            name_zh="白银产量",
            tier=Tier.FREE,
            actor="t",
        )
    if returns:
        with desk.db.transaction() as session:
            import_returns(session, path, actor=ANALYST)
    return path


def _released(desk: Desk, tmp_path: Path) -> None:
    _survey(desk, tmp_path, returns=True)
    with desk.db.transaction() as session:
        survey = supply.require_survey(session, SURVEY)
        supply.release(session, survey, PERIOD, status=ReleaseStatus.FINAL, user=desk.editor)


def prepare_import_submissions(desk: Desk, tmp_path: Path) -> list[str]:
    return ["import", "submissions", str(_submission_file(tmp_path)), "--user", ANALYST]


def prepare_import_survey(desk: Desk, tmp_path: Path) -> list[str]:
    return ["import", "survey", str(_survey(desk, tmp_path, returns=False)), "--user", ANALYST]


def prepare_assess(desk: Desk, tmp_path: Path) -> list[str]:
    _submit_day(desk)
    return ["assess", "--date", str(DAY), "--user", ANALYST]


def prepare_approve(desk: Desk, tmp_path: Path) -> list[str]:
    _submit_day(desk)
    with desk.db.transaction() as session:
        assess_day(session, DAY, user=desk.analyst)
    return ["approve", "--date", str(DAY), "--user", EDITOR]


def prepare_survey_release(desk: Desk, tmp_path: Path) -> list[str]:
    _survey(desk, tmp_path, returns=True)
    return ["survey", "release", SURVEY, "--period", PERIOD, "--status", "final", "--user", EDITOR]


def prepare_report_publish(desk: Desk, tmp_path: Path) -> list[str]:
    _released(desk, tmp_path)
    with desk.db.transaction() as session:
        slug = reports.draft_production_report(
            session, SURVEY, PERIOD, actor=ANALYST, user=desk.analyst
        ).slug
    return ["report", "publish", slug, "--user", EDITOR]


def prepare_report_production_publish(desk: Desk, tmp_path: Path) -> list[str]:
    _released(desk, tmp_path)
    return ["report", "production", "--survey", SURVEY, "--period", PERIOD, "--publish",
            "--user", EDITOR]  # fmt: skip


# --- the operations ----------------------------------------------------------------------------

COUNT = "SELECT count(*) FROM "


@dataclass(frozen=True)
class Operation:
    name: str
    prepare: Callable[[Desk, Path], list[str]]
    # What one run changes, as readable numbers: probe name -> (SQL giving a number, change).
    effect: dict[str, tuple[str, int]]
    # Running it once more after it succeeded: its exit code and a line it prints.
    again_code: int = 0
    again_says: str = ""


OPERATIONS = [
    Operation(
        "import-submissions",
        prepare_import_submissions,
        {"submission": (COUNT + "submission", 8), "audit_event": (COUNT + "audit_event", 1)},
        again_says="0 submissions added, 8 already present",
    ),
    Operation(
        "import-survey",
        prepare_import_survey,
        {
            "respondent": (COUNT + "respondent", 3),
            "survey_return": (COUNT + "survey_return", 6),
            "audit_event": (COUNT + "audit_event", 1),
        },
        again_says="AG-OUT: 0 returns added, 0 replaced, 0 new respondents",
    ),
    Operation(
        "assess",
        prepare_assess,
        {
            "assessment": (COUNT + "assessment", 2),
            "draft": (COUNT + "assessment WHERE status = 'draft'", 2),
            "audit_event": (COUNT + "audit_event", 2),
        },
        again_says=SILVER,
    ),
    Operation(
        "approve",
        prepare_approve,
        {
            "approved": (COUNT + "assessment WHERE status = 'approved'", 2),
            "draft": (COUNT + "assessment WHERE status = 'draft'", -2),
            "publication_seq": ("SELECT sum(publication_seq) FROM price_series", 2),
            "audit_event": (COUNT + "audit_event", 2),
        },
        # Nothing is left to approve: refused, and nothing written (checked below).
        again_code=1,
        again_says=f"no draft assessments on {DAY}",
    ),
    Operation(
        "survey-release",
        prepare_survey_release,
        {
            "survey_release": (COUNT + "survey_release", 1),
            "audit_event": (COUNT + "audit_event", 1),
        },
        again_says=f"released {SURVEY} {PERIOD} v1 (final)",
    ),
    Operation(
        "report-publish",
        prepare_report_publish,
        {
            "published": (COUNT + "article WHERE status = 'published'", 1),
            "draft": (COUNT + "article WHERE status = 'draft'", -1),
            "article_revision": (COUNT + "article_revision", 0),
            "audit_event": (COUNT + "audit_event", 1),
        },
        again_says="ag-out-2025-10: published at",
    ),
    Operation(
        "report-production-publish",
        prepare_report_production_publish,
        {
            "article": (COUNT + "article WHERE status = 'published'", 1),
            "article_revision": (COUNT + "article_revision", 2),
            "article_text": (COUNT + "article_text", 2),
            "audit_event": (COUNT + "audit_event", 2),  # created, published
        },
        again_says="ag-out-2025-10: published, revision 1 (en)",
    ),
]


def probe(engine: Engine, op: Operation) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(sql)).scalar_one() or 0)
            for name, (sql, _) in op.effect.items()
        }


def after_one_run(before: dict[str, int], op: Operation) -> dict[str, int]:
    return {name: before[name] + change for name, (_, change) in op.effect.items()}


def kill_points(writes: int) -> list[str]:
    """After the first write; after the last (a unit of work that committed part of itself on
    the way leaves that part behind here); and with everything flushed, before COMMIT."""
    return [f"write:{n}" for n in sorted({1, writes})] + ["before_commit"]


@pytest.fixture(params=OPERATIONS, ids=[op.name for op in OPERATIONS])
def op(request: pytest.FixtureRequest) -> Operation:
    operation: Operation = request.param
    return operation


def test_a_kill_inside_the_transaction_leaves_nothing_and_the_rerun_is_one_run(
    op: Operation, desk: Desk, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    db = env_db
    args = op.prepare(desk, tmp_path)
    report = tmp_path / "crash-report.jsonl"

    with control_copy(db, "once") as control_url:
        control = run_cli(args, url=control_url, report=report)
        assert control.returncode == 0, control.describe()
        one_run = comparable_at(control_url)
    writes = control.writes
    assert writes >= 2, control.describe()  # a unit of work, not one statement

    before = snapshot(db.engine)
    counted = probe(db.engine, op)
    for point in kill_points(writes):
        crashed = run_cli(args, url=db.url, report=report, crash_at=point)
        assert crashed.killed, crashed.describe()
        assert crashed.report[-1]["killed_at"] == point
        # The kill came with writes in the database, uncommitted: all of them before COMMIT.
        expected_writes = writes if point == "before_commit" else int(point.split(":")[1])
        assert crashed.writes == expected_writes, crashed.describe()
        assert probe(db.engine, op) == counted, point
        assert changed_tables(before, snapshot(db.engine)) == [], point

    # Bounded by the harness's timeout: a dead client's locks must not hold the rerun up.
    rerun = run_cli(args, url=db.url, report=report)
    assert rerun.returncode == 0, rerun.describe()
    assert probe(db.engine, op) == after_one_run(counted, op)
    assert differences(comparable(db.engine), one_run) == {}
    with db.transaction() as session:
        assert verify_trail(session).broken is None  # the killed runs left no link behind
    done = snapshot(db.engine)

    again = run_cli(args, url=db.url, report=report)
    assert again.returncode == op.again_code, again.describe()
    assert op.again_says in again.stdout + again.stderr, again.describe()
    assert changed_tables(done, snapshot(db.engine)) == []


def test_a_kill_just_after_commit_keeps_the_whole_run_and_the_retry_changes_nothing(
    op: Operation, desk: Desk, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    db = env_db
    args = op.prepare(desk, tmp_path)
    report = tmp_path / "crash-report.jsonl"
    counted = probe(db.engine, op)

    crashed = run_cli(args, url=db.url, report=report, crash_at="after_commit")
    assert crashed.killed, crashed.describe()
    assert crashed.report[-1]["killed_at"] == "after_commit"
    assert crashed.stdout == "", crashed.describe()  # the operator saw nothing
    assert probe(db.engine, op) == after_one_run(counted, op)
    done = snapshot(db.engine)

    retry = run_cli(args, url=db.url, report=report)
    assert retry.returncode == op.again_code, retry.describe()
    assert op.again_says in retry.stdout + retry.stderr, retry.describe()
    assert changed_tables(done, snapshot(db.engine)) == []
