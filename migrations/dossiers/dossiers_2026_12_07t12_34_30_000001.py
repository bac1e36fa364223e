"""One draft per person, procedure, agency and payer (issue 16): a unique index over
the drafts not marked ``another_draft``, so two "Bắt đầu" at once (a double tap, two
tabs) make one draft on both databases.

Before this, every "Bắt đầu" made a new draft, so a person may hold several of one
procedure at one agency. None is lost to the index: the duplicates never saved after
they were made (no answer, no file: they hold nothing the person typed) are removed,
keeping the newest when all are like that; of those left, the one last worked on is
the person's draft and the others are kept as further drafts they can finish or
delete from "Hồ sơ của tôi"."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T12:34:30:000001"
VERSION = "1.38.0"
DESCRIPTION = "One draft per procedure, agency and payer"

# "o" is another draft of the same person, procedure, agency and payer as "d"; a
# draft is untouched when never saved after it was made and without a file.
STATEMENTS = [
    # An untouched duplicate goes when a draft with work in it, or a newer one, stays.
    "DELETE FROM dossiers_dossier WHERE id IN (SELECT d.id FROM dossiers_dossier d"
    " WHERE d.status = 'draft' AND d.updated_at = d.created_at"
    " AND NOT EXISTS (SELECT 1 FROM dossiers_file f WHERE f.dossier = d.id)"
    " AND EXISTS (SELECT 1 FROM dossiers_dossier o WHERE o.status = 'draft'"
    " AND o.id <> d.id AND o.owner_id = d.owner_id AND o.procedure_code = d.procedure_code"
    " AND o.receiving_agency = d.receiving_agency"
    " AND COALESCE(o.organisation_id, 0) = COALESCE(d.organisation_id, 0)"
    " AND (o.id > d.id OR o.updated_at <> o.created_at"
    " OR EXISTS (SELECT 1 FROM dossiers_file g WHERE g.dossier = o.id))))",
    # Of the rest, all but the one last worked on are further drafts.
    "UPDATE dossiers_dossier SET another_draft = TRUE WHERE id IN (SELECT d.id"
    " FROM dossiers_dossier d WHERE d.status = 'draft'"
    " AND EXISTS (SELECT 1 FROM dossiers_dossier o WHERE o.status = 'draft'"
    " AND o.id <> d.id AND o.owner_id = d.owner_id AND o.procedure_code = d.procedure_code"
    " AND o.receiving_agency = d.receiving_agency"
    " AND COALESCE(o.organisation_id, 0) = COALESCE(d.organisation_id, 0)"
    " AND (o.updated_at > d.updated_at OR (o.updated_at = d.updated_at AND o.id > d.id))))",
    # Organisation ids start at 1: 0 stands for "for myself".
    "CREATE UNIQUE INDEX dossiers_dossier_one_draft ON dossiers_dossier"
    " (owner_id, procedure_code, receiving_agency, COALESCE(organisation_id, 0))"
    " WHERE status = 'draft' AND NOT another_draft",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    async def one_draft() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(one_draft)
    return manager
