"""Ratings and feedback stored before visits were proven (issue 15) upgrade: a dossier's
rating was proven by its owner's account and still counts; a counter rating made without
any proof is kept but no longer counted, and marked changed so the figures of its day are
recomputed; feedback gets the target its burst limit counts."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.db import Database, fetch, write_transaction
from backend.feedback import service
from tests.conftest import make_settings

BEFORE = "2026-12-07T08:01:00"  # the first migration of the proofs
OLD = "2026-10-05 02:00:00+00:00"
DAY = dt.date(2026, 10, 5)


async def _before_proofs() -> None:
    manager = BaseMigrationManager()
    for app in manager.get_sorted_app_names():
        folder = manager.get_app_config(app).resolved_migrations_folder_path
        ids = sorted(i for i in manager.get_migration_modules(folder) if i < BEFORE)
        if ids:
            with contextlib.redirect_stdout(io.StringIO()):
                result = await run_forwards(app_name=app, migration_id=ids[-1])
            assert result.success, result.message


_RATING = (
    "INSERT INTO feedback_rating (rating_key, source, agency_code, counter_number, dossier_id,"
    " account_id, stated_code, overall, comment, day, created_at, updated_at)"
    " VALUES ({}, {}, 'X', {}, {}, NULL, '', {}, '', {}, {}, {})"
)
_FEEDBACK = (
    "INSERT INTO feedback_item (code, agency_code, first_agency, procedure_code, dossier_id,"
    " counter_number, category, text, photos, anonymous, contact_name, contact_phone,"
    " contact_email, status, received_day, due_date, answer, answered_by_name,"
    " publish_consent, published, history, created_at, updated_at) VALUES"
    " ({}, 'X', 'X', {}, {}, {}, 'khac', 'Nội dung cũ', '[]', {}, '', '', '', 'open',"
    " {}, {}, '', '', {}, {}, '[]', {}, {})"
)


async def test_older_ratings_and_feedback_upgrade(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = await make_settings(tmp_path_factory.mktemp("feedback-upgrade"), "fb_upgrade")
    database = Database(settings)
    await database.open()
    try:
        await _before_proofs()
        old = dt.datetime.fromisoformat(OLD)
        async with write_transaction():
            await fetch(_RATING, "counter:X:1:dev:2026-10-05", "counter", 1, None, 1, DAY, old, old)
            await fetch(_RATING, "dossier:7", "dossier", None, 7, 5, DAY, old, old)
            for code, procedure, dossier, counter in (
                ("PA-261005-AAAAAA", "1.001193", None, None),
                ("PA-261005-BBBBBB", None, 7, None),
                ("PA-261005-CCCCCC", None, None, 2),
                ("PA-261005-DDDDDD", None, None, None),
            ):
                await fetch(
                    _FEEDBACK, code, procedure, dossier, counter, True, DAY, DAY, False, False,
                    old, old,
                )  # fmt: skip
        before_upgrade = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await database.migrate()

        rows = await fetch("SELECT rating_key, proof, status FROM feedback_rating ORDER BY id")
        assert [(r["rating_key"], r["proof"], r["status"]) for r in rows] == [
            ("counter:X:1:dev:2026-10-05", "", "unverified"),
            ("dossier:7", "account", "counted"),
        ]
        # Only the counted one is in the figures, and the other's day is recomputed.
        counts = await service.rating_counts(DAY, DAY)
        assert [(c.source, c.count) for c in counts] == [("dossier", 1)]
        changed = await service.ratings_changed_since(before_upgrade)
        assert [(c.day, c.dossier_id) for c in changed] == [(DAY, None)]
        targets = await fetch("SELECT code, target_key FROM feedback_item ORDER BY code")
        assert [r["target_key"] for r in targets] == [
            "procedure:X:1.001193",
            "dossier:7",
            "counter:X:2",
            "agency:X",
        ]
    finally:
        await database.close()
