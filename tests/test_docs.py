"""Documentation keeps up with the code: every API route and CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main
from typer.core import TyperGroup

from metalwire.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[1]


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
    text = (ROOT / "README.md").read_text() + "".join(
        p.read_text() for p in (ROOT / "docs").rglob("*.md")
    )
    root = typer.main.get_command(cli_app)
    assert isinstance(root, TyperGroup)
    missing = [c for c in _cli_commands(root) if f"metalwire {c}" not in text]
    assert missing == []


def test_every_api_route_is_in_docs_api(client) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "docs/api.md").read_text()
    spec = client.get("/api/v1/openapi.json").json()
    missing = [path for path in spec["paths"] if f"`GET {path}" not in text and path not in text]
    assert missing == []
