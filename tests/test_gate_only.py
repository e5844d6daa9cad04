"""The gate is the only place visibility is decided, SQL included.

Whether a value, release or article exists for a reader at an instant is one comparison of its
release instant with that instant; it lives in accounts/gate.py (``released``, ``is_readable``,
``is_released``) and nowhere else. This test reads every module of the package and fails on any
ordering comparison (<, <=, >, >=) with ``release_at`` or ``publish_at`` on one side, outside the
gate and the migrations. What compares a release instant for another reason than visibility is
listed below by file and function, with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import metalwire

PACKAGE = Path(metalwire.__file__).parent
INSTANTS = frozenset({"release_at", "publish_at"})
ORDERINGS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
THE_GATE = "accounts/gate.py"
MIGRATIONS = "db/migrations/"

# (file, function): why comparing a release instant there is not deciding visibility.
NOT_VISIBILITY: dict[tuple[str, str], str] = {
    ("newsroom/search.py", "search_articles"): (
        "keyset pagination: the next page starts after the cursor's publish instant"
    ),
    ("supply/service.py", "_check_release_order"): (
        "write-side order: a revision cannot be released before the version it revises"
    ),
    ("alerts/service.py", "_published_since"): (
        "a report subscription covers what came out after the reader subscribed"
    ),
    ("pricing/release_times.py", "released_late"): (
        "punctuality: a version released after its scheduled time is reported late"
    ),
}

PENDING_ELSEWHERE: frozenset[str] = frozenset()  # every module is held to the rule


def _names_an_instant(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in INSTANTS
    return isinstance(node, ast.Name) and node.id in INSTANTS


class _Comparisons(ast.NodeVisitor):
    """Every ordering comparison of a release instant, with the function it sits in."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.found: list[tuple[str, int, str]] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        pairs = zip(node.ops, sides, sides[1:], strict=False)
        if any(
            isinstance(op, ORDERINGS) and (_names_an_instant(left) or _names_an_instant(right))
            for op, left, right in pairs
        ):
            where = self.functions[-1] if self.functions else "<module>"
            self.found.append((where, node.lineno, ast.unparse(node)))
        self.generic_visit(node)


def comparisons(source: str) -> list[tuple[str, int, str]]:
    visitor = _Comparisons()
    visitor.visit(ast.parse(source))
    return visitor.found


def _skipped(relative: str) -> bool:
    return (
        relative == THE_GATE
        or relative.startswith(MIGRATIONS)
        or any(relative.startswith(pending) for pending in PENDING_ELSEWHERE)
    )


def offences(package: Path = PACKAGE) -> tuple[list[str], set[tuple[str, str]]]:
    """Comparisons outside the gate not listed as exceptions, and the exceptions that were used."""
    found, used = [], set()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if _skipped(relative):
            continue
        for function, line, text in comparisons(path.read_text(encoding="utf-8")):
            if (relative, function) in NOT_VISIBILITY:
                used.add((relative, function))
            else:
                found.append(f"{relative}:{line} in {function}: {text}")
    return found, used


def test_only_the_gate_compares_a_release_instant_with_a_time() -> None:
    found, _ = offences()
    assert not found, "visibility decided outside accounts/gate.py:\n" + "\n".join(found)


def test_every_listed_exception_still_exists() -> None:
    # A stale exception would let a new comparison in the same function pass unseen.
    _, used = offences()
    assert set(NOT_VISIBILITY) == used


def test_the_walk_sees_every_form_of_the_comparison() -> None:
    source = """
def reads(row, now, at):
    a = row.release_at <= now
    b = now >= Article.publish_at
    c = release_at < now
    d = 1 < x.publish_at <= now
    e = row.release_at == now  # equality is not an embargo
    f = row.released_at <= now  # another name
"""
    found = [text for _, _, text in comparisons(source)]
    assert found == [
        "row.release_at <= now",
        "now >= Article.publish_at",
        "release_at < now",
        "1 < x.publish_at <= now",
    ]
    assert comparisons("x = a.release_at > b")[0][0] == "<module>"
