"""`metalwire methodology` and `metalwire complaint` on a real database: refusals name their
field and exit 1 with nothing written; a decided change lists as the family's next version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from metalwire.accounts.models import User
from metalwire.cli import app
from metalwire.db.base import utcnow
from metalwire.governance import complaints
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.models import Consultation
from metalwire.governance.rules import ComplaintSubject
from tests.conftest import ScratchDatabase
from tests.governance.conftest import FAMILY, NEW_TEXT, NEW_TEXT_ZH

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _propose(text: Path, text_zh: Path, title_zh: str = "三笔成交") -> tuple[int, str]:
    return _run(
        "methodology",
        "propose",
        FAMILY,
        "--title",
        "Three deals",
        "--summary",
        "Three, not two.",
        "--rationale",
        "Outliers.",
        "--text",
        str(text),
        "--title-zh",
        title_zh,
        "--summary-zh",
        "三笔，而非两笔。",
        "--rationale-zh",
        "异常值。",
        "--text-zh",
        str(text_zh),
        "--user",
        "analyst@desk.cn",
    )


def test_a_change_from_the_terminal(env_db: ScratchDatabase, tmp_path: Path) -> None:
    text, text_zh = tmp_path / "v2.md", tmp_path / "v2.zh.md"
    text.write_text(NEW_TEXT)
    code, out = _propose(text, text_zh)
    assert code == 1 and out.startswith(f"--text-zh: no file {text_zh}"), out
    text_zh.write_text(NEW_TEXT_ZH, "utf-8")
    code, out = _propose(text, text_zh, title_zh="Three deals")
    assert code == 1 and out.startswith("title_zh: must be written in Chinese"), out
    code, out = _propose(text, text_zh)
    assert code == 0 and "consultation 1 proposed" in out, out
    today = utcnow().date()
    code, out = _run("methodology", "consult", "1", "--closes", str(today + dt.timedelta(days=5)))
    assert code == 1 and out.startswith("closes: the comment period must be at least 14 days"), out
    code, out = _run("methodology", "consult", "1", "--closes", str(today + dt.timedelta(days=20)))
    assert code == 0 and "open for comments" in out, out
    code, out = _run(
        "methodology",
        "decide",
        "1",
        "--outcome",
        "adopted",
        "--rationale",
        "r",
        "--response",
        "c",
        "--rationale-zh",
        "理由",
        "--response-zh",
        "答复",
        "--effective",
        str(today + dt.timedelta(days=40)),
    )
    assert code == 1 and "decide after it" in out, out
    with env_db.transaction() as session:  # the comment period passes
        session.execute(
            update(Consultation).values(
                opens_on=today - dt.timedelta(days=30), closes_on=today - dt.timedelta(days=1)
            )
        )
    effective = today + dt.timedelta(days=28)
    code, out = _run(
        "methodology",
        "decide",
        "1",
        "--outcome",
        "adopted",
        "--rationale",
        "Agreed.",
        "--response",
        "None received.",
        "--rationale-zh",
        "同意。",
        "--response-zh",
        "未收到意见。",
        "--effective",
        str(effective),
        "--user",
        "editor@desk.cn",
    )
    assert code == 0 and f"version 2 of {FAMILY} in force from {effective}" in out, out
    code, out = _run("methodology", "versions", FAMILY, "--json")
    assert code == 0 and '"number": 2' in out and f'"effective": "{effective}"' in out
    assert '"summary_zh": "三笔，而非两笔。"' in out  # the version keeps the proposal's Chinese
    code, out = _run("methodology", "consultations")
    assert code == 0 and "decided" in out
    code, out = _run("methodology", "versions", "gold-bars")
    assert code == 1 and out.startswith("family: no methodology family"), out


def test_complaints_from_the_terminal(env_db: ScratchDatabase) -> None:
    with env_db.transaction() as session:
        user = User(email="reader@mill.cn", plan_code="free")
        session.add(user)
        session.flush()
        new = NewComplaint(ComplaintSubject.METHODOLOGY, FAMILY, "Too strict.")
        complaints.log_complaint(session, user, new, now=utcnow())
    code, out = _run("complaint", "answer", "1", "--answer", "No.", "--outcome", "not-upheld")
    assert code == 1 and "only when acknowledged" in out, out
    code, out = _run("complaint", "list", "--state", "logged", "--json")
    assert code == 0 and '"complainant": "reader@mill.cn"' in out and '"waiting_days": 0' in out
    assert _run("complaint", "acknowledge", "1")[0] == 0
    code, out = _run(
        "complaint", "answer", "1", "--answer", "Explained.", "--outcome", "not-upheld"
    )
    assert code == 0 and "answered (not-upheld)" in out, out
    code, out = _run("complaint", "list", "--json")
    assert '"state": "answered"' in out
