"""The audit log becomes a hash chain (issue 20): every entry gets its ``seq``, the
previous entry's hash and its own, and the entries already there are chained in id
order. The append-only triggers refuse the UPDATE that needs: they are set aside for
this migration's own backfill only, in its transaction, and come back exactly as they
were (on SQLite from their own text; on PostgreSQL disabled and enabled again).

The hash is defined in backend/accounts/chain.py; it is written out again here so that
this migration keeps doing what it did whatever that module becomes."""

import datetime as dt
import hashlib

import msgspec
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-08T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Audit log entries chained by their hashes"

GENESIS = "0" * 64
BATCH = 500

COLUMNS = [
    "ALTER TABLE accounts_audit ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE accounts_audit ADD COLUMN prev_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE accounts_audit ADD COLUMN hash VARCHAR(64) NOT NULL DEFAULT ''",
]
INDEX = "CREATE UNIQUE INDEX accounts_audit_seq ON accounts_audit (seq)"
PG_TRIGGER = "accounts_audit_no_change"

PAGE = (
    "SELECT id, at, event, actor_id, subject_id, client_address, details"
    " FROM accounts_audit WHERE id > {} ORDER BY id LIMIT {}"
)


def _hash(prev_hash: str, seq: int, row: dict) -> str:
    at = row["at"]
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    details = row["details"]
    canonical = msgspec.json.encode(
        [
            seq,
            at.isoformat(timespec="microseconds"),
            row["event"],
            row["actor_id"],
            row["subject_id"],
            row["client_address"],
            msgspec.json.decode(details) if isinstance(details, str) else details,
        ],
        order="sorted",
    )
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def _update(count: int) -> str:
    """One UPDATE for a batch (a statement a row would be a round trip a row)."""
    values = ", ".join(["(CAST({} AS INTEGER), CAST({} AS INTEGER), {}, {})"] * count)
    # Placeholders only: the values are parameters.
    return (
        f"WITH chained (id, seq, prev_hash, hash) AS (VALUES {values})"  # noqa: S608
        " UPDATE accounts_audit SET seq = chained.seq, prev_hash = chained.prev_hash,"
        " hash = chained.hash FROM chained WHERE accounts_audit.id = chained.id"
    )


async def _query(engine, sql: str, *args) -> list:
    return [dict(row) for row in await engine.run_querystring(QueryString(sql, *args))]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def chain() -> None:
        engine = engine_finder()
        assert engine is not None
        postgres = engine.engine_type == "postgres"
        for statement in COLUMNS:
            await engine.run_ddl(statement)
        if postgres:
            await engine.run_ddl(f"ALTER TABLE accounts_audit DISABLE TRIGGER {PG_TRIGGER}")
        else:
            triggers = await _query(
                engine,
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'accounts_audit' ORDER BY name",
            )
            for trigger in triggers:
                await engine.run_ddl(f'DROP TRIGGER "{trigger["name"]}"')
        seq, prev_hash, after = 0, GENESIS, 0
        while rows := await _query(engine, PAGE, after, BATCH):
            args: list = []
            for row in rows:
                seq += 1
                digest = _hash(prev_hash, seq, row)
                args += [row["id"], seq, prev_hash, digest]
                prev_hash = digest
            await _query(engine, _update(len(rows)), *args)
            after = rows[-1]["id"]
        await engine.run_ddl(INDEX)
        if postgres:
            await engine.run_ddl(f"ALTER TABLE accounts_audit ENABLE TRIGGER {PG_TRIGGER}")
        else:
            for trigger in triggers:
                await engine.run_ddl(trigger["sql"])

    manager.add_raw(chain)
    return manager
