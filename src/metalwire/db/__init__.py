"""Database layer: declarative base, column types, engine and sessions."""

from metalwire.db.base import Base, Price, UTCDateTime, utcnow
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction

__all__ = [
    "Base",
    "Price",
    "UTCDateTime",
    "create_db_engine",
    "make_sessionmaker",
    "transaction",
    "utcnow",
]
