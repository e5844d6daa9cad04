"""Documentation keeps up with the code: every API route, site page, setting and CLI command is
documented, by its exact path or name (a path is not documented by a longer one that starts with
it), and the API reference names no route the app does not serve."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from fastapi.testclient import TestClient
from typer.core import TyperGroup

from metalwire.cli import app as cli_app
from metalwire.settings import Settings
from metalwire.web.app import API_PREFIX, route_table

ROOT = Path(__file__).resolve().parents[1]
# `METHOD /api/v1/path?query`: the method and path of a documented API route.
API_ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1[^`?\s]*)")
# A quoted path in prose: `/series/{code}`, `/feeds/{group}/rss|atom?lang=`, `/articles/...`.
QUOTED_PATH = re.compile(r"`(?:https?://[^/`\s]+)?(/[^`\s?#]*)")


def _docs_text() -> str:
    return (ROOT / "README.md").read_text() + "".join(
        p.read_text() for p in sorted((ROOT / "docs").rglob("*.md"))
    )


def _segments_match(documented: str, route: str) -> bool:
    """A documented path names a route template: segment by segment, a placeholder ({name} or
    ...) stands for any value and `rss|atom` for either."""
    ours, theirs = documented.strip("/").split("/"), route.strip("/").split("/")
    if len(ours) != len(theirs):
        return False
    for doc, tmpl in zip(ours, theirs, strict=True):
        if tmpl.startswith("{") or doc.startswith("{") or doc == "...":
            continue
        if tmpl not in doc.split("|"):
            return False
    return True


def _cli_commands(group: TyperGroup, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, TyperGroup):
            names.extend(_cli_commands(command, f"{full} "))
        else:
            names.append(full)
    return names


def test_every_cli_command_is_in_the_readme_or_docs() -> None:
    text = _docs_text()
    root = typer.main.get_command(cli_app)
    assert isinstance(root, TyperGroup)
    missing = [c for c in _cli_commands(root) if not re.search(rf"metalwire {c}(?![\w-])", text)]
    assert missing == []


def test_every_api_route_is_in_docs_api_and_no_other(client: TestClient) -> None:
    documented = set(API_ROUTE.findall((ROOT / "docs/api.md").read_text()))
    spec = client.get("/api/v1/openapi.json").json()
    served = {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    missing = sorted(
        f"{m} {path}"
        for m, path in served
        if not any(d == m and _segments_match(p, path) for d, p in documented)
    )
    assert missing == [], "routes docs/api.md does not name"
    unknown = sorted(
        f"{m} {path}"
        for m, path in documented
        if not any(s == m and _segments_match(path, p) for s, p in served)
    )
    assert unknown == [], "docs/api.md names routes the app does not serve"


def test_every_page_is_named_in_the_docs_or_readme() -> None:
    quoted = set(QUOTED_PATH.findall(_docs_text()))
    pages = sorted(
        {r.path for r in route_table() if "GET" in r.methods and not r.path.startswith(API_PREFIX)}
    )
    missing = [page for page in pages if not any(_segments_match(q, page) for q in quoted)]
    assert missing == []


def test_every_setting_is_in_docs_operations() -> None:
    text = (ROOT / "docs/operations.md").read_text()
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names = [f"{prefix}{field}".upper() for field in Settings.model_fields]
    missing = [name for name in names if not re.search(rf"(?<![A-Z_]){name}(?![A-Z_])", text)]
    assert missing == []
