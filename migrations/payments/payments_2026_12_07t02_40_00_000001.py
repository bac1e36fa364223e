"""Receipts issued before numbering was legal keep the number they were shown with
("MC26E-0000012": the symbol "MC" + two digits of the Vietnamese year + "E", their id
as number) and no template symbol, which marks them as such; then the unique keys: one
series per agency, symbol and year, and one receipt per number in it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T02:40:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "Older receipts keep their numbers; receipt numbers unique per series"

_LEGACY = (
    "UPDATE payments_receipt SET"
    " agency_code = COALESCE((SELECT p.agency_code FROM payments_payment p"
    " WHERE p.id = payments_receipt.payment), ''),"
    " symbol = 'MC' || substr({year}, 3, 2) || 'E', year = CAST({year} AS INTEGER),"
    " number = id WHERE number = 0"
)
SQLITE = _LEGACY.format(year="strftime('%Y', issued_at, '+7 hours')")
POSTGRES = _LEGACY.format(year="to_char(issued_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY')")
KEYS = (
    "CREATE UNIQUE INDEX payments_receipt_series_key"
    " ON payments_receipt_series (agency_code, symbol, year)",
    # Numbered receipts only: a receipt made some other way than ``issue`` must not
    # make the settlement that made it fail (captured money would go unrecorded).
    "CREATE UNIQUE INDEX payments_receipt_number_key"
    " ON payments_receipt (agency_code, symbol, year, number) WHERE number > 0",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def number_and_key() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(SQLITE if engine.engine_type == "sqlite" else POSTGRES)
        for statement in KEYS:
            await engine.run_ddl(statement)

    manager.add_raw(number_and_key)
    return manager
