"""The data layer: one engine per process, SQLite (embedded) or PostgreSQL (at scale)."""

import os

# Piccolo finds its engine and apps through this module (also for its own CLI).
os.environ.setdefault("PICCOLO_CONF", "backend.db.piccolo_conf")

from backend.db.engine import (
    Database,
    DatabaseUnavailable,
    active_engine,
    fetch,
    write_transaction,
    write_unless_busy,
)

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "active_engine",
    "fetch",
    "write_transaction",
    "write_unless_busy",
]
