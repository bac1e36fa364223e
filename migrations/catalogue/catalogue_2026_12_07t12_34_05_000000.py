"""Synonyms and abbreviations of the catalogue's words, kept by its administrator
(catalogue.synonyms). The next migration makes the folded term unique and has synonyms
count in the catalogue's version number, the search cache's key (Piccolo runs a
migration's raw steps before its tables are made)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T12:34:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "Synonyms and abbreviations for search"


def _params(**given: object) -> dict[str, object]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **given,
    }


COLUMNS: list[tuple[str, type, dict[str, object]]] = [
    ("term", Text, _params(default="")),
    ("folded", Varchar, _params(length=200, default="")),
    ("replacement", Text, _params(default="")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_table(
        class_name="Synonym", tablename="catalogue_synonym", schema=None, columns=None
    )
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Synonym",
            tablename="catalogue_synonym",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
