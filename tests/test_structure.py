"""The package's shape: no import cycle between packages, nor between modules.

A cycle means neither side can be understood, tested or moved without the other; the import
graph is read from the source (every import, a function's lazy one included), not from what
happens to be loaded.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# Alembic's scripts: loaded by Alembic from the files, never imported by the package. env.py
# imports every table (metalwire.models) by design.
SCRIPTS = "metalwire.db.migrations"


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in SRC.joinpath("metalwire").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if package else parts)
        if not name.startswith(SCRIPTS):
            found[name] = (path, package)
    return found


def _imported(node: ast.AST, here: str, package: bool) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every name a statement imports; ``import a.b`` is (a.b, None)."""
    if isinstance(node, ast.Import):
        yield from ((alias.name, None) for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = (here if package else here.rpartition(".")[0]).split(".")
            parent = parent[: len(parent) - node.level + 1]
            base = ".".join([*parent, *([node.module] if node.module else [])])
        yield from ((base, alias.name) for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the metalwire modules it imports: ``from a import b`` imports a.b when b is a
    module, else a (the parent packages Python loads on the way are not counted)."""
    modules = _modules()

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for name, (path, package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            for base, member in _imported(node, name, package):
                if not base.startswith("metalwire"):
                    continue
                submodule = f"{base}.{member}"
                target = submodule if submodule in modules else known(base)
                if target is not None and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_of(module: str) -> str:
    """metalwire.web.pages.site -> metalwire.web; a top-level module is its own node."""
    return ".".join(module.split(".")[:2])


def test_no_two_modules_import_each_other_even_through_others() -> None:
    assert cycles(import_graph()) == []


def test_no_two_packages_import_each_other_even_through_others() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in import_graph().items():
        for target in targets:
            if _package_of(module) != _package_of(target):
                packages[_package_of(module)].add(_package_of(target))
    assert cycles(packages) == []


def test_the_cycle_finder_finds_a_cycle_through_a_third() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# One person can hold a module of this size, and a function that fits on a screen (issue #14);
# migrations are history, written once, and stay as they were.
MODULE_LINES = 600
FUNCTION_LINES = 60


def test_no_module_or_function_outgrows_what_a_reader_can_hold() -> None:
    too_long = []
    for name, (path, _package) in sorted(_modules().items()):
        source = path.read_text()
        if len(source.splitlines()) > MODULE_LINES:
            too_long.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == []
