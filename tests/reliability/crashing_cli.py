"""The real ``metalwire`` command line, killed with SIGKILL at a chosen point of its database work.

Run it as the CLI itself: ``python tests/reliability/crashing_cli.py assess --date ...``. The
product is not changed: SQLAlchemy event listeners, registered before ``metalwire.cli.main``
runs, count the statements the command sends and kill the process where ``MW_CRASH_AT`` says:

``write:N``
    right after the Nth INSERT, UPDATE or DELETE has been executed: sent to the database inside
    the open transaction, not committed (the rest of the work not sent yet).
``before_commit``
    when the session commits: every change flushed to the database, COMMIT not yet sent.
``after_commit``
    right after COMMIT returned, before the command prints anything: the operator sees a dead
    process and cannot tell whether it worked, so the retry must be harmless.

Unset, the command runs normally. ``MW_CRASH_REPORT`` names a file that gets one JSON line
before the kill (``{"killed_at": ..., "writes": n}``), or at a normal exit (``{"writes": n}``):
the tests read it to prove the kill came after writes reached the database, and to learn how
many writes an uninterrupted run makes. SIGKILL runs no ``finally``, no ``atexit`` and no
rollback: what is left is exactly what the database itself keeps of a dead client.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

WRITES = ("INSERT", "UPDATE", "DELETE")


class Crasher:
    def __init__(self, plan: str, report: str | None) -> None:
        self.plan = plan
        self.report = report
        self.writes = 0
        self.write_limit = int(plan.split(":", 1)[1]) if plan.startswith("write:") else None
        if plan and self.write_limit is None and plan not in ("before_commit", "after_commit"):
            raise SystemExit(f"MW_CRASH_AT: use write:N, before_commit or after_commit: {plan!r}")

    def _note(self, data: dict[str, Any]) -> None:
        if self.report:
            with open(self.report, "a", encoding="utf-8") as out:
                out.write(json.dumps(data) + "\n")

    def kill(self, where: str) -> None:
        self._note({"killed_at": where, "writes": self.writes})
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def after_cursor_execute(self, *args: Any) -> None:
        statement: str = args[2]
        if statement.lstrip().upper().startswith(WRITES):
            self.writes += 1
            if self.writes == self.write_limit:
                self.kill(f"write:{self.writes}")

    def before_commit(self, session: Session) -> None:
        if self.plan != "before_commit":
            return
        # The commit would flush what is still pending (the audit events, typically); flush it
        # here so the kill leaves the whole unit of work in the database, uncommitted.
        session.flush()
        # A session that wrote nothing (a lookup) is not the one to kill.
        if self.writes:
            self.kill("before_commit")

    def after_commit(self, _session: Session) -> None:
        if self.plan == "after_commit" and self.writes:
            self.kill("after_commit")

    def at_exit(self) -> None:
        self._note({"writes": self.writes})


def install() -> None:
    crasher = Crasher(os.environ.get("MW_CRASH_AT", ""), os.environ.get("MW_CRASH_REPORT"))
    # On the classes: every engine and session the command creates gets the listeners.
    event.listen(Engine, "after_cursor_execute", crasher.after_cursor_execute)
    event.listen(Session, "before_commit", crasher.before_commit)
    event.listen(Session, "after_commit", crasher.after_commit)
    atexit.register(crasher.at_exit)


if __name__ == "__main__":
    install()
    from metalwire.cli import main

    sys.argv[0] = "metalwire"
    main()
