"""Reference data that ships with the package (catalog, plans), synced by `metalwire db upgrade`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from metalwire.accounts.service import sync_plans
from metalwire.catalog.service import SyncResult, sync_catalog


def sync_reference_data(session: Session) -> dict[str, SyncResult]:
    """Idempotent: a second run changes nothing and records nothing."""
    return {"catalog": sync_catalog(session), "plans": sync_plans(session)}
