"""The money already taken, as captures: each paid order received its amount, which
went to its dossiers except the share already settled by an earlier order (its
``duplicate_amount``, still to be refunded); its receipt acknowledged what was applied.
The merchant account such old money went to is not known here: it is named by the
provider."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from backend.db.dialect import for_engine

ID = "2026-12-07T02:08:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "The money already taken, as captures"

STATEMENTS = (
    "UPDATE payments_payment SET received_amount = amount"
    " WHERE status = 'paid' AND received_amount = 0",
    # A dossier's share is counted paid by its first paid order; a later order paid for
    # a dossier already settled keeps it as a duplicate (0 applied).
    "UPDATE payments_dossier SET paid = amount WHERE paid = 0 AND payment IN"
    " (SELECT p.id FROM payments_payment p WHERE p.status = 'paid') AND NOT EXISTS"
    " (SELECT 1 FROM payments_dossier e JOIN payments_payment q ON q.id = e.payment"
    " WHERE e.dossier_id = payments_dossier.dossier_id AND q.status = 'paid'"
    " AND q.id < payments_dossier.payment)",
    "UPDATE payments_receipt SET amount = (SELECT p.amount - p.duplicate_amount"
    " FROM payments_payment p WHERE p.id = payments_receipt.payment) WHERE amount = 0",
    "INSERT INTO payments_capture (key, provider, merchant, agency_code, payment, reference,"
    " transaction_no, amount, applied, excess, refunded, reason, captured_at, day)"
    " SELECT 'legacy:' || CAST(id AS TEXT), provider, provider, agency_code, id, reference,"
    " transaction_no, amount, amount - duplicate_amount, duplicate_amount, 0,"
    " CASE WHEN duplicate_amount > 0 THEN 'duplicate' ELSE '' END, paid_at,"
    " CAST(VNDAY(paid_at) AS TEXT)"
    " FROM payments_payment WHERE status = 'paid' AND paid_at IS NOT NULL",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def carry_over() -> None:
        engine = engine_finder()
        assert engine is not None
        postgres = engine.engine_type == "postgres"
        for statement in STATEMENTS:
            await engine.run_ddl(for_engine(statement, postgres))

    manager.add_raw(carry_over)
    return manager
