"""A channel job keeps what its event adds to the code (a visit's time, issue 19): the
notice's ``status``, which e-mail, SMS and ZNS did not carry."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Channel jobs: the event's note"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ChannelJob",
        tablename="notifications_channel_job",
        column_name="note",
        db_column_name="note",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
