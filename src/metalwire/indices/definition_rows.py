"""An index definition file (``metalwire index define FILE``, YAML or JSON) as an import.

The model of a definition is ``indices.engine.IndexDefinition`` (its fields, ranges and the rules
between them: one weight per constituent, reweights after the base period ...). Read as a file,
a bad definition is refused like a bad import row: one ``ImportRejected`` naming the file and
every bad field (``constituents.0.weight``); nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from metalwire.errors import InvalidInput
from metalwire.importing import read_one
from metalwire.indices import engine
from metalwire.indices import service as indices


def read_definition(path: Path) -> engine.IndexDefinition:
    """The definition a file holds, or ``InvalidInput``: ``ImportRejected`` for bad fields, a
    plain one for a file that holds no definition at all (missing, empty, not YAML or JSON)."""
    source = str(path)
    if not path.is_file():
        raise InvalidInput("no such file", file=source)
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=source
        ) from None
    if not text.strip():
        raise InvalidInput(
            "empty file; an index definition is a mapping of fields (code, name, ...)",
            file=source,
        )
    try:
        fields = engine.definition_fields(text)
    except engine.DefinitionError as exc:
        raise InvalidInput(str(exc), file=source) from None
    return read_one(fields, engine.IndexDefinition, file=source)


def import_definition(
    session: Session,
    path: Path,
    *,
    actor: str,
    effective: dt.date | None = None,
    require_effective: bool = False,
) -> tuple[engine.IndexDefinition, bool]:
    """Load the definition a file holds (a changed one: a new version from ``effective``);
    returns it and whether it was new."""
    definition = read_definition(path)
    return indices.define(
        session,
        definition.model_dump_json(),
        actor=actor,
        effective=effective,
        require_effective=require_effective,
    )
