"""The audit log is a hash chain (issue 20): entries read back from either database
verify, concurrent writers leave one chain, the upgrade chains the entries already
there and keeps the log append-only, and a changed, removed or forged entry is found
by ``motcua audit-verify`` at that entry."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.accounts import chain, service
from backend.accounts.tables import AuditEvent
from backend.db import Database, fetch, write_transaction
from backend.db.dialect import is_postgres
from backend.settings import Settings
from tests.conftest import make_settings
from tests.support.databases import POSTGRES_URL
from tests.test_cli import cli_env, run

CHAIN_MIGRATION = "2026-12-08T00:00:00:000000"
T0 = dt.datetime(2026, 12, 1, 3, 4, 5, 123456, tzinfo=dt.UTC)


@contextlib.asynccontextmanager
async def opened(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Database]:
    database = Database(settings)
    await database.open()
    try:
        if migrate:
            await database.migrate()
        yield database
    finally:
        await database.close()


@pytest.fixture
async def fresh(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A database of the test's own: the tests below tamper with the log."""
    suffix = "chain_" + request.node.name.removeprefix("test_")[:30]
    async with opened(await make_settings(tmp_path, suffix)) as database:
        yield database


@contextlib.asynccontextmanager
async def triggers_set_aside() -> AsyncIterator[None]:
    """What someone with the database can do: the append-only triggers dropped for a
    moment, put back as they were."""
    async with write_transaction():
        if is_postgres():
            await fetch("ALTER TABLE accounts_audit DISABLE TRIGGER USER")
            yield
            await fetch("ALTER TABLE accounts_audit ENABLE TRIGGER USER")
            return
        triggers = await fetch(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'accounts_audit'"
        )
        assert len(triggers) == 2
        for trigger in triggers:
            await fetch(f'DROP TRIGGER "{trigger["name"]}"')
        yield
        for trigger in triggers:
            await fetch(trigger["sql"])


async def entries(count: int) -> list[dict[str, Any]]:
    for number in range(count):
        await service.record_audit(
            T0 + dt.timedelta(minutes=number),
            "sign_in",
            actor_id=number + 1,
            subject_id=number + 1,
            address="10.0.0.1",
            method="passkey",
        )
    return await rows()


async def rows() -> list[dict[str, Any]]:
    return list(await AuditEvent.select().order_by(AuditEvent.id).output(load_json=True))


async def assert_still_append_only(entry_id: int) -> None:
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.event: "sign_out"}).where(AuditEvent.id == entry_id)
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.id == entry_id)
    if is_postgres():
        with pytest.raises(Exception, match="append-only"):
            await fetch("TRUNCATE accounts_audit")


async def test_entries_read_back_verify_whatever_their_values(fresh: Database) -> None:
    vietnam = dt.timezone(dt.timedelta(hours=7))
    written: list[tuple[dt.datetime, dict[str, Any]]] = [
        # Keys out of order, Vietnamese text, quotes and a slash, a float, nothing, a list.
        (T0, {"z": 1, "a": 'Nguyễn Văn A "/\\', "f": 0.1, "none": None, "list": [3, 1]}),
        # Whole seconds (no microseconds in Python's own text), another time zone.
        (dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=vietnam), {"nested": {"b": 2, "a": 1}}),
        # A naive time is taken as UTC, as the databases store it.
        (dt.datetime(2026, 12, 1, 3, 0, 0, 1), {}),
        # A value that is not JSON becomes its JSON text, the same read back.
        (T0, {"when": T0, "pair": (1, 2)}),
    ]
    for at, details in written:
        await service.record_audit(
            at, "sign_up", actor_id=None, subject_id=7, address="2001:db8::1", **details
        )

    report = await service.verify_audit_chain()
    assert (report.broken, report.checked, report.last_seq) == (None, 4, 4)
    back = await rows()
    assert [row["seq"] for row in back] == [1, 2, 3, 4]
    assert back[0]["prev_hash"] == chain.GENESIS
    assert [row["prev_hash"] for row in back[1:]] == [row["hash"] for row in back[:-1]]
    assert report.last_hash == back[-1]["hash"]
    assert back[1]["at"] == dt.datetime(2026, 12, 1, 3, 0, 0, tzinfo=dt.UTC)
    assert back[3]["details"] == {"pair": [1, 2], "when": "2026-12-01T03:04:05.123456Z"}

    # Anyone can recompute a hash with a JSON library of their own and SHA-256.
    first = back[0]
    canonical = json.dumps(
        [
            1,
            "2026-12-01T03:04:05.123456+00:00",
            "sign_up",
            None,
            7,
            "2001:db8::1",
            first["details"],
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert hashlib.sha256((chain.GENESIS + canonical).encode()).hexdigest() == first["hash"]


async def test_concurrent_writers_leave_one_chain(fresh: Database) -> None:
    async def alone(number: int) -> None:
        await service.record_audit(T0, "sign_in", actor_id=number, attempt=number)

    async def inside_another_transaction(number: int, *, fail: bool) -> None:
        # As other domains do: their own write, then the audit entry, then more before
        # the commit (or a rollback, which takes the entry with it).
        async with write_transaction():
            await service.record_audit(T0, "dossier_claimed", actor_id=number)
            await asyncio.sleep(0.001)
            await service.record_audit(T0, "dossier_claim_code_issued", actor_id=number)
            if fail:
                raise LookupError("rolled back")

    calls = [alone(n) for n in range(24)] + [
        inside_another_transaction(n, fail=n % 4 == 0) for n in range(16)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [type(r) for r in results if r is not None] == [LookupError] * 4

    report = await service.verify_audit_chain()
    assert report.broken is None
    assert report.checked == 24 + 2 * 12
    assert [row["seq"] for row in await rows()] == list(range(1, 49))


async def test_a_changed_entry_is_found_at_that_entry(fresh: Database) -> None:
    written = await entries(5)
    async with triggers_set_aside():
        await fetch(
            "UPDATE accounts_audit SET details = {} WHERE id = {}",
            '{"method":"recovery"}',
            written[2]["id"],
        )
    report = await service.verify_audit_chain()
    assert report.checked == 2
    assert report.broken is not None
    assert (report.broken.id, report.broken.problem) == (written[2]["id"], "content")
    assert report.broken.at == written[2]["at"]
    await assert_still_append_only(written[0]["id"])


async def test_a_removed_entry_is_found(fresh: Database) -> None:
    written = await entries(5)
    async with triggers_set_aside():
        await fetch("DELETE FROM accounts_audit WHERE id = {}", written[2]["id"])
    broken = (await service.verify_audit_chain()).broken
    assert broken is not None
    assert (broken.id, broken.seq, broken.problem) == (written[3]["id"], 4, "missing")


async def test_a_forged_link_is_found_even_with_a_matching_hash(fresh: Database) -> None:
    written = await entries(5)
    target = written[2]
    # The forger points entry 3 past entry 2 and gives it a hash that matches.
    forged = chain.entry_hash(
        written[0]["hash"],
        seq=3,
        at=target["at"],
        event=target["event"],
        actor_id=target["actor_id"],
        subject_id=target["subject_id"],
        client_address=target["client_address"],
        details=target["details"],
    )
    async with triggers_set_aside():
        await fetch(
            "UPDATE accounts_audit SET prev_hash = {}, hash = {} WHERE id = {}",
            written[0]["hash"],
            forged,
            target["id"],
        )
    broken = (await service.verify_audit_chain()).broken
    assert broken is not None
    assert (broken.id, broken.problem) == (target["id"], "link")


async def test_reordered_entries_are_found(fresh: Database) -> None:
    written = await entries(5)
    second, third = written[1], written[2]
    async with triggers_set_aside():
        # Entries 2 and 3 swap places, each with its own seq and hashes.
        for row, seq in ((second, -1), (third, 2), (second, 3)):
            await fetch("UPDATE accounts_audit SET seq = {} WHERE id = {}", seq, row["id"])
    broken = (await service.verify_audit_chain()).broken
    assert broken is not None
    assert broken.id == second["id"]
    assert broken.problem == "missing"  # seq 3 where 2 was due


async def _accounts_before_the_chain() -> None:
    manager = BaseMigrationManager()
    folder = manager.get_app_config("accounts").resolved_migrations_folder_path
    before = sorted(i for i in manager.get_migration_modules(folder) if i < CHAIN_MIGRATION)
    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="accounts", migration_id=before[-1])
    assert result.success, result.message


async def test_the_upgrade_chains_the_entries_already_there(tmp_path: Path) -> None:
    settings = await make_settings(tmp_path, "chain_upgrade")
    async with opened(settings, migrate=False) as database:
        await _accounts_before_the_chain()
        old = [
            (T0, "sign_up", None, 1, "10.0.0.1", '{"method": "passkey", "a": "Hà Nội"}'),
            (T0.replace(microsecond=0), "sign_in", 1, 1, None, "{}"),
            (T0 + dt.timedelta(days=1), "role_changed", 2, 1, "::1", '{"role": "leader"}'),
        ]
        async with write_transaction():
            for values in old:
                await fetch(
                    "INSERT INTO accounts_audit (at, event, actor_id, subject_id,"
                    " client_address, details) VALUES ({}, {}, {}, {}, {}, {})",
                    *values,
                )
        await database.migrate()

        back = await rows()
        assert [(r["seq"], r["event"]) for r in back] == [
            (1, "sign_up"),
            (2, "sign_in"),
            (3, "role_changed"),
        ]
        report = await service.verify_audit_chain()
        assert (report.broken, report.checked) == (None, 3)
        await assert_still_append_only(back[0]["id"])

        # New entries go on from there.
        await service.record_audit(T0, "sign_out", actor_id=1, subject_id=1)
        report = await service.verify_audit_chain()
        assert (report.broken, report.checked, report.last_seq) == (None, 4, 4)


async def _write_entries(env: dict[str, str], count: int) -> None:
    settings = Settings.from_env(env)
    async with opened(settings, migrate=False):
        await entries(count)


async def test_audit_verify_command(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_audit", MOTCUA_DEMO="false")
    assert run(["migrate"], env).returncode == 0
    await _write_entries(env, 3)

    clean = run(["audit-verify"], env)
    assert clean.returncode == 0, clean.stderr
    assert "3 entries checked, ok" in clean.stdout
    async with opened(Settings.from_env(env), migrate=False):
        written = await rows()
        assert f"hash {written[-1]['hash']}" in clean.stdout
        async with triggers_set_aside():
            await fetch(
                "UPDATE accounts_audit SET client_address = {} WHERE id = {}",
                "10.9.9.9",
                written[1]["id"],
            )

    broken = run(["audit-verify"], env)
    assert broken.returncode == 1
    assert "1 entries checked, then a broken link" in broken.stdout
    assert f"entry id {written[1]['id']} (seq 2, at 2026-12-01T03:05:05.123456+00:00)" in (
        broken.stdout
    )
    assert "hash does not match its content" in broken.stdout


@pytest.mark.skipif(POSTGRES_URL is not None, reason="an empty SQLite file is SQLite's case")
def test_audit_verify_wants_the_migrations_first(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "motcua.sqlite3").touch()
    env = asyncio.run(cli_env(tmp_path, "cli_audit_pending"))
    result = run(["audit-verify"], env)
    assert result.returncode == 1
    assert "pending migrations" in result.stderr
