"""Anchors of the audit chain outside the database (issue 20): a chain rewritten whole,
every hash recomputed, verifies on its own, but no longer holds what was anchored; a
forged anchor is found by its signature; ``motcua audit-anchor`` and ``audit-verify``
do both from the command line, with anchors in the data dir or in the bucket."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from backend.accounts import anchors, chain, service
from backend.db import Database, fetch
from backend.settings import Settings
from backend.settings.storage import storage_settings
from tests.accounts.test_audit_chain import (
    T0,
    entries,
    fresh,
    opened,
    rows,
    triggers_set_aside,
)
from tests.support.seaweed import Seaweed, seaweed
from tests.test_cli import cli_env, run

__all__ = ["fresh", "seaweed"]

NOON = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)


def in_folder(tmp_path: Path, **changes: Any) -> Settings:
    return Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path / "anchored"), **changes})


async def rewrite_from(position: int) -> None:
    """What someone with the database can do: change an entry, then recompute every
    hash from it on, so that the chain verifies again."""
    written = await rows()
    async with triggers_set_aside():
        prev = written[position - 1]["hash"] if position else chain.GENESIS
        for number, row in enumerate(written[position:]):
            details = {"method": "recovery"} if number == 0 else row["details"]
            new_hash = chain.entry_hash(
                prev,
                seq=row["seq"],
                at=row["at"],
                event=row["event"],
                actor_id=row["actor_id"],
                subject_id=row["subject_id"],
                client_address=row["client_address"],
                details=details,
            )
            await fetch(
                "UPDATE accounts_audit SET details = {}, prev_hash = {}, hash = {} WHERE id = {}",
                json.dumps(details),
                prev,
                new_hash,
                row["id"],
            )
            prev = new_hash


async def test_a_chain_rewritten_whole_no_longer_matches_its_anchor(
    fresh: Database, tmp_path: Path
) -> None:
    settings = in_folder(tmp_path)
    await entries(2)
    first = await service.anchor_audit_chain(settings, NOON)
    more = await entries(3)
    second = await service.anchor_audit_chain(settings, NOON + dt.timedelta(hours=1))
    assert first is not None and second is not None
    assert (first.seq, second.seq, second.id, second.hash) == (
        2,
        5,
        more[-1]["id"],
        more[-1]["hash"],
    )

    report = await service.verify_audit_anchors(settings)
    assert report.ok and report.checked == 2

    await rewrite_from(3)
    # The chain alone cannot tell: every link is whole again.
    assert (await service.verify_audit_chain()).broken is None
    report = await service.verify_audit_anchors(settings)
    assert not report.ok
    assert report.checked == 2
    assert report.mismatch is not None
    # The first anchor (before the change) still holds; the second is the one reported.
    assert "audit.jsonl line 2" in report.mismatch.where
    assert f"entry id {second.id} now has seq 5" in report.mismatch.explanation
    assert "the chain was rewritten" in report.mismatch.explanation


async def test_an_entry_removed_with_its_successors_is_found_by_the_anchor(
    fresh: Database, tmp_path: Path
) -> None:
    settings = in_folder(tmp_path)
    written = await entries(4)
    await service.anchor_audit_chain(settings, NOON)
    async with triggers_set_aside():
        await fetch("DELETE FROM accounts_audit WHERE id = {}", written[-1]["id"])
    # The last entry gone leaves a chain that verifies (nothing follows it).
    assert (await service.verify_audit_chain()).broken is None
    report = await service.verify_audit_anchors(settings)
    assert report.mismatch is not None
    assert report.mismatch.explanation == (
        f"entry id {written[-1]['id']} (seq 4) is no longer in the log"
    )


async def test_a_forged_anchor_line_is_reported(fresh: Database, tmp_path: Path) -> None:
    settings = in_folder(tmp_path)
    await entries(2)
    anchor = await service.anchor_audit_chain(settings, NOON)
    assert anchor is not None
    path = settings.data_dir / "anchors" / "audit.jsonl"
    good = path.read_bytes()
    # A forger who rewrote the chain writes an anchor to match it, without the key.
    forged = json.loads(good)
    forged["hash"] = "f" * 64
    with path.open("ab") as handle:
        handle.write(json.dumps(forged).encode() + b"\n" + b"not json at all\n")
    report = await service.verify_audit_anchors(settings)
    assert report.checked == 1 and report.forged_count == 2
    assert [p.where for p in report.forged] == ["audit.jsonl line 2", "audit.jsonl line 3"]
    assert not report.ok

    # Another key (an auditor given the wrong one) trusts none of them.
    other = dataclasses.replace(settings, audit_anchor_key="x" * 40)
    assert (await service.verify_audit_anchors(other)).forged_count == 3


async def test_an_empty_log_anchors_nothing(fresh: Database, tmp_path: Path) -> None:
    settings = in_folder(tmp_path)
    assert await service.anchor_audit_chain(settings, NOON) is None
    report = await service.verify_audit_anchors(settings)
    assert report.ok and report.checked == 0


async def test_anchors_in_the_bucket(fresh: Database, tmp_path: Path, seaweed: Seaweed) -> None:
    bucket = storage_settings(seaweed.env(f"anchors-{tmp_path.name[-12:]}"), "development")
    settings = dataclasses.replace(in_folder(tmp_path), storage=bucket)
    await entries(3)
    await service.anchor_audit_chain(settings, NOON)
    await service.anchor_audit_chain(settings, NOON + dt.timedelta(days=1))
    place = anchors.place_of(settings)
    assert isinstance(place, anchors.BucketPlace)
    names = await place.bucket.names(anchors.FOLDER)
    assert len(names) == 2 and names[0].startswith("audit-anchors/20261208T120000")
    # Not in the data dir: the bucket is the place outside the database.
    assert not (settings.data_dir / "anchors").exists()
    assert (await service.verify_audit_anchors(settings)).ok

    await rewrite_from(1)
    report = await service.verify_audit_anchors(settings)
    assert report.mismatch is not None and names[0] in report.mismatch.where


async def _write_entries(env: dict[str, str], count: int) -> None:
    async with opened(Settings.from_env(env), migrate=False):
        await entries(count)


async def _rewrite(env: dict[str, str]) -> None:
    async with opened(Settings.from_env(env), migrate=False):
        await rewrite_from(0)


async def test_audit_anchor_and_verify_commands(tmp_path: Path) -> None:
    env = await cli_env(
        tmp_path, "cli_anchor", MOTCUA_DEMO="false", MOTCUA_AUDIT_ANCHOR_KEY="k" * 40
    )
    assert run(["migrate"], env).returncode == 0
    empty = run(["audit-anchor"], env)
    assert empty.returncode == 0 and "nothing to anchor" in empty.stdout
    await _write_entries(env, 3)

    anchored = run(["audit-anchor"], env)
    assert anchored.returncode == 0, anchored.stderr
    assert "seq 3" in anchored.stdout and "anchors/audit.jsonl" in anchored.stdout
    clean = run(["audit-verify"], env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "anchors: 1 checked" in clean.stdout and ", ok" in clean.stdout

    await _rewrite(env)
    rewritten = run(["audit-verify"], env)
    assert rewritten.returncode == 1
    assert "audit log: 3 entries checked, ok" in rewritten.stdout
    assert "first anchor that no longer matches: audit.jsonl line 1" in rewritten.stdout

    wrong_key = run(["audit-verify"], {**env, "MOTCUA_AUDIT_ANCHOR_KEY": "w" * 40})
    assert wrong_key.returncode == 1
    assert "forged or damaged anchor at audit.jsonl line 1" in wrong_key.stdout


def test_the_anchor_settings_are_checked() -> None:
    import pytest

    from backend.settings import SettingsError

    with pytest.raises(SettingsError, match="MOTCUA_AUDIT_ANCHOR_KEY"):
        Settings.from_env({"MOTCUA_AUDIT_ANCHOR_KEY": "short", "MOTCUA_SECRET_KEY": "s" * 40})
    with pytest.raises(SettingsError, match="MOTCUA_AUDIT_ANCHOR_EVERY_S"):
        Settings.from_env({"MOTCUA_AUDIT_ANCHOR_EVERY_S": "5", "MOTCUA_SECRET_KEY": "s" * 40})
    daily = Settings.from_env(
        {"MOTCUA_AUDIT_ANCHOR_EVERY_S": "86400", "MOTCUA_SECRET_KEY": "s" * 40}
    )
    assert daily.audit_anchor_every_s == 86400
    assert T0 < NOON


async def test_the_worker_anchors_on_its_schedule(fresh: Database, tmp_path: Path) -> None:
    from backend.app import audit_anchor
    from backend.jobs.runner import Runner

    settings = in_folder(tmp_path, MOTCUA_AUDIT_ANCHOR_EVERY_S="86400")
    written = await entries(2)
    job = audit_anchor(settings)
    assert (job.name, job.every_s) == ("audit.anchor", 86400)
    async with Runner([job]) as runner:
        assert await runner.run_once() == 1
        # Not due again for a day: the next rounds write nothing.
        assert await runner.run_once() == 0
    report = await service.verify_audit_anchors(settings)
    assert report.ok and report.checked == 1
    assert report.last is not None and report.last.id == written[-1]["id"]
