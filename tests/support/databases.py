"""Fresh, throw-away databases for a test session: a temp SQLite file or a new
PostgreSQL database on the server named by DATABASE_URL."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg

POSTGRES_URL = os.environ.get("DATABASE_URL") or None


async def fresh_postgres(suffix: str) -> str:
    """Drop and create ``<database of DATABASE_URL>_<suffix>``; return its URL.

    Only databases whose name contains "test" are ever dropped."""
    assert POSTGRES_URL is not None
    parts = urlsplit(POSTGRES_URL)
    base = parts.path.strip("/")
    name = f"{base}_{suffix}"
    if "test" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise RuntimeError(f"refusing to recreate {name!r}: test databases must be named *test*")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))
