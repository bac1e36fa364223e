"""Fee rules: an agency's own base fee for a procedure's fee line, or a reduction or
waiver by channel, period and applicant group (catalogue.fees combines them). The next
migration makes them count in the catalogue's version number (Piccolo runs a
migration's raw steps before its tables are made)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSON,
    BigInt,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Varchar,
)
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Procedure(Table, tablename="catalogue_procedure", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-07T02:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Fee rules: base fees per agency, reductions by channel, period and group"


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
    (
        "procedure",
        ForeignKey,
        _params(
            references=Procedure,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            null=True,
            index=True,
        ),
    ),
    ("position", Integer, _params(default=None, null=True)),
    ("agency_code", Varchar, _params(length=32, default="")),
    ("amount", BigInt, _params(default=None, null=True)),
    ("percent", Integer, _params(default=None, null=True)),
    ("channels", JSON, _params(default="[]")),
    ("valid_from", Date, _params(default=None, null=True)),
    ("valid_to", Date, _params(default=None, null=True)),
    ("group", Varchar, _params(length=32, default="")),
    ("label_vi", Text, _params(default="")),
    ("label_en", Text, _params(default="")),
    ("basis", Text, _params(default="")),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    manager.add_table(
        class_name="FeeRule", tablename="catalogue_fee_rule", schema=None, columns=None
    )
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="FeeRule",
            tablename="catalogue_fee_rule",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
