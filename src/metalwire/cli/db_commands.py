"""``metalwire db``: schema migrations and the reference data that ships with the package."""

from __future__ import annotations

import typer

from metalwire.cli.context import console, engine
from metalwire.db.engine import make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.reference_data import sync_reference_data

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the schema, then sync the packaged catalog. Safe to run repeatedly."""
    db = engine(migrated=False)
    try:
        before, after = upgrade(db)
        with transaction(make_sessionmaker(db)) as session:
            results = sync_reference_data(session)
    finally:
        db.dispose()
    if before == after:
        console.print(f"schema already at {', '.join(sorted(after))}")
    else:
        console.print(f"schema migrated to {', '.join(sorted(after))}")
    for name, result in results.items():
        if result.changed:
            console.print(f"{name}: {result.created} created, {result.updated} updated")
        else:
            console.print(f"{name} up to date")
