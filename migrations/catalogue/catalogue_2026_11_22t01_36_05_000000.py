"""Full-text search of the catalogue, one design per database, and unique counters.

SQLite: an FTS5 table (unicode61, diacritics removed, prefix indexes) kept in step
with catalogue_procedure by triggers, so edits made anywhere (the API, an import,
Piccolo Admin) are searchable at once. unicode61 does not fold "đ": the triggers
replace it with "d" before the tokenizer sees the text. An fts5vocab table lists the
indexed words for the typo fallback.

PostgreSQL: unaccent (which folds "đ") wrapped in an IMMUTABLE function so it can
be indexed; stored generated columns (the folded, weighted tsvector: name above the
rest; the folded name) with a GIN index each (the name's for trigram typos).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T01:36:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "Full-text search indexes (FTS5 / unaccent + pg_trgm); unique counters"

_SQLITE_NAME = "replace(replace({row}.name_vi, 'đ', 'd'), 'Đ', 'D')"
_SQLITE_BODY = (
    "replace(replace({row}.field_vi || ' ' || {row}.name_en || ' ' || {row}.field_en"
    " || ' ' || {row}.code || ' ' || {row}.result_vi, 'đ', 'd'), 'Đ', 'D')"
)

SQLITE = [
    "CREATE VIRTUAL TABLE catalogue_procedure_fts USING fts5("
    "name, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE VIRTUAL TABLE catalogue_procedure_vocab USING fts5vocab("
    "catalogue_procedure_fts, 'row')",
    "INSERT INTO catalogue_procedure_fts (rowid, name, body) SELECT p.id, "
    + _SQLITE_NAME.format(row="p")
    + ", "
    + _SQLITE_BODY.format(row="p")
    + " FROM catalogue_procedure p",
    "CREATE TRIGGER catalogue_procedure_fts_insert AFTER INSERT ON catalogue_procedure BEGIN "
    "INSERT INTO catalogue_procedure_fts (rowid, name, body) VALUES (new.id, "
    + _SQLITE_NAME.format(row="new")
    + ", "
    + _SQLITE_BODY.format(row="new")
    + "); END",
    "CREATE TRIGGER catalogue_procedure_fts_delete AFTER DELETE ON catalogue_procedure BEGIN "
    "DELETE FROM catalogue_procedure_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER catalogue_procedure_fts_update AFTER UPDATE ON catalogue_procedure BEGIN "
    "DELETE FROM catalogue_procedure_fts WHERE rowid = old.id; "
    "INSERT INTO catalogue_procedure_fts (rowid, name, body) VALUES (new.id, "
    + _SQLITE_NAME.format(row="new")
    + ", "
    + _SQLITE_BODY.format(row="new")
    + "); END",
    "CREATE UNIQUE INDEX catalogue_counter_agency_number ON catalogue_counter (agency, number)",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # unaccent() is only STABLE (it reads a dictionary by name): naming the dictionary
    # and the schema makes the result fixed, so the wrapper may say IMMUTABLE.
    "CREATE OR REPLACE FUNCTION catalogue_fold(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ "
    "SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, $1)),"
    " '[^a-z0-9]+', ' ', 'g')) $$",
    "CREATE OR REPLACE FUNCTION catalogue_document(name text, field text, name_en text,"
    " field_en text, code text, result text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT setweight(to_tsvector('simple', catalogue_fold(coalesce(name, ''))), 'A') || "
    "setweight(to_tsvector('simple', catalogue_fold(coalesce(field, '') || ' ' || "
    "coalesce(name_en, '') || ' ' || coalesce(field_en, '') || ' ' || coalesce(code, '') || ' ' || "
    "coalesce(result, ''))), 'B') $$",
    # Stored, generated columns: computed once per write (by any writer), so ranking
    # reads them instead of folding every matching row again.
    "ALTER TABLE catalogue_procedure ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
    "catalogue_document(name_vi, field_vi, name_en, field_en, code, result_vi)) STORED",
    "ALTER TABLE catalogue_procedure ADD COLUMN search_name text GENERATED ALWAYS AS ("
    "catalogue_fold(name_vi)) STORED",
    "CREATE INDEX catalogue_procedure_document ON catalogue_procedure USING GIN (search_document)",
    "CREATE INDEX catalogue_procedure_name_trgm ON catalogue_procedure USING GIN ("
    "search_name gin_trgm_ops)",
    "CREATE UNIQUE INDEX catalogue_counter_agency_number ON catalogue_counter (agency, number)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
