"""The official days off and make-up working days of 2025-2027, inserted once.

A migration runs once per database: a production database gets these rows when it is
upgraded to this version and never again, so an administrator's later edits and
removals stay. A day that already has a row (added by an administrator before this
ran) is left as it is. Corrections to the file after this release need a migration of
their own, as databases that ran this one will not read it again.

Rows that no announcement confirms yet (all of 2027; Vietnam Culture Day, 24/11) get
"(dự kiến)" / "(provisional)" after their names, so the administrator sees on the
calendar page what to check. The data is read from the package with the standard
library only, so that later changes to the application's code cannot break this step.
"""

import datetime as dt
import json
from importlib.resources import files

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-22T03:47:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "Official days off and make-up working days 2025-2027 (seeded once)"

SEED_FILE = "official_2025_2027.json"
INSERT = (
    "INSERT INTO workdays_exception (day, kind, name_vi, name_en, updated_at, updated_by)"
    " VALUES ({}, {}, {}, {}, {}, NULL) ON CONFLICT (day) DO NOTHING"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="workdays", description=DESCRIPTION)

    async def seed() -> None:
        engine = engine_finder()
        assert engine is not None
        text = (files("backend.workdays") / SEED_FILE).read_text(encoding="utf-8")
        now = dt.datetime.now(dt.timezone.utc)
        for year in json.loads(text)["years"]:
            for row in year["days"]:
                name_vi, name_en = row["name_vi"], row["name_en"]
                if not row["confirmed"]:
                    name_vi, name_en = f"{name_vi} (dự kiến)", f"{name_en} (provisional)"
                day = dt.date.fromisoformat(row["day"])
                await engine.run_querystring(
                    QueryString(INSERT, day, row["kind"], name_vi, name_en, now)
                )

    manager.add_raw(seed)
    return manager
