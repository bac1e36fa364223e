"""The appointments' unique places (a closure per agency and day; a slot per agency,
counter, day and start: the heart of "no double booking") and the reminders' index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T23:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "Appointments: unique places and the reminders' index"

RAW = (
    "CREATE UNIQUE INDEX appointments_closure_day ON appointments_closure (agency_code, day)",
    "CREATE UNIQUE INDEX appointments_slot_place"
    " ON appointments_slot (agency_code, counter_number, day, starts)",
    # The reminders' and the day's questions: the bookings of a day still to come.
    "CREATE INDEX appointments_booking_day_state ON appointments_booking (day, state)",
)



async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="appointments", description=DESCRIPTION)

    async def indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in RAW:
            await engine.run_ddl(statement)

    manager.add_raw(indexes)
    return manager
