"""Proof of a visit and review of bursts (issue 15): what proved a rating's visit, its
status (only "counted" enters the figures) and who reviewed it; what a feedback is
about, as its per-target limit counts it, and who reviewed a held one. The older
rows' values and the indexes come in the next migration."""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T08:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Ratings' proofs and statuses; feedback's targets; their reviews"

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_REVIEW: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("reviewed_by", Integer, {"default": None, "null": True, "index": False}),
    ("reviewed_at", Timestamptz, {"default": None, "null": True, "index": False}),
)
RATING = (
    ("proof", Varchar, {"length": 16, "default": "", "null": False, "index": False}),
    ("status", Varchar, {"length": 12, "default": "counted", "null": False, "index": True}),
    ("held_reason", Varchar, {"length": 16, "default": "", "null": False, "index": False}),
    *_REVIEW,
)
FEEDBACK = (
    ("target_key", Varchar, {"length": 80, "default": "", "null": False, "index": False}),
    *_REVIEW,
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)
    for class_name, tablename, columns in (
        ("Rating", "feedback_rating", RATING),
        ("Feedback", "feedback_item", FEEDBACK),
    ):
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={**_COMMON, **params},
                schema=None,
            )
    return manager
