"""The search document names ``public.catalogue_fold``: ``pg_restore`` loads rows with
an empty search_path, and a generated column whose function calls another unqualified
fails there ("function catalogue_fold(text) does not exist"), so a PostgreSQL backup
would not restore (issue 20). The same result as before: stored values stay right."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Catalogue: the search document's function qualified, for pg_restore"

POSTGRES = [
    "CREATE OR REPLACE FUNCTION public.catalogue_document(name text, field text, name_en text,"
    " field_en text, code text, result text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT setweight(to_tsvector('simple', public.catalogue_fold(coalesce(name, ''))), 'A') || "
    "setweight(to_tsvector('simple', public.catalogue_fold(coalesce(field, '') || ' ' || "
    "coalesce(name_en, '') || ' ' || coalesce(field_en, '') || ' ' || coalesce(code, '') || ' ' || "
    "coalesce(result, ''))), 'B') $$",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def qualify() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type != "sqlite":
            for statement in POSTGRES:
                await engine.run_ddl(statement)

    manager.add_raw(qualify)
    return manager
