"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic and tests)."""

from metalwire.audit import AuditEvent
from metalwire.catalog.models import CatalogEntry, CatalogGroup, Commodity, PriceSeries

__all__ = ["AuditEvent", "CatalogEntry", "CatalogGroup", "Commodity", "PriceSeries"]
