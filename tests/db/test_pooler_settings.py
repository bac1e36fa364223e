"""``MOTCUA_DB_PGBOUNCER`` (issue 20): what the engine sends PostgreSQL with and without
it. Needs no server: the engine is built, not opened (the behaviour behind a real
PgBouncer is tests/db/test_pgbouncer.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.db.engine import BoundedPostgresEngine, build_engine
from backend.settings import Settings, SettingsError

# Port 1 of loopback: Piccolo asks the server's version as the engine is made, and is
# refused at once (nothing here needs an answer).
DATABASE_URL = "postgresql://motcua@127.0.0.1:1/motcua"


@pytest.fixture
def base(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": DATABASE_URL, "MOTCUA_DATA_DIR": str(tmp_path)}


def engine_for(base: dict[str, str], **env: str) -> BoundedPostgresEngine:
    engine = build_engine(Settings.from_env({**base, **env}))
    assert isinstance(engine, BoundedPostgresEngine)
    return engine


def test_by_default_the_timeouts_are_session_settings_and_statements_are_cached(
    base: dict[str, str],
) -> None:
    engine = engine_for(base)
    assert engine.config["server_settings"] == {
        "statement_timeout": "5000",
        "idle_in_transaction_session_timeout": "10000",
    }
    assert "statement_cache_size" not in engine.config
    assert engine.per_transaction_settings == ""


def test_behind_pgbouncer_nothing_rests_on_the_session(base: dict[str, str]) -> None:
    engine = engine_for(base, MOTCUA_DB_PGBOUNCER="true", MOTCUA_DB_STATEMENT_TIMEOUT_MS="8000")
    assert "server_settings" not in engine.config
    assert engine.config["statement_cache_size"] == 0
    assert engine.per_transaction_settings == (
        "SET LOCAL statement_timeout = 8000; SET LOCAL idle_in_transaction_session_timeout = 16000"
    )
    # The client still gives up a second after the server would have.
    assert engine.config["command_timeout"] == 9


@pytest.mark.parametrize("raw", ["yes please", "2"])
def test_a_bad_value_is_refused_naming_the_setting(base: dict[str, str], raw: str) -> None:
    with pytest.raises(SettingsError, match="MOTCUA_DB_PGBOUNCER"):
        Settings.from_env({**base, "MOTCUA_DB_PGBOUNCER": raw})
