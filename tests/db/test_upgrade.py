"""A database made by the previous release upgrades cleanly: its migrations are run
first, today's data written in its shape, then this release's migrations carry it over.

The previous release is every migration dated before RELEASE (its last ones are from
November 2026); what it wrote is raw SQL in its own shape (a procedure with one agency),
so the test does not depend on today's tables."""

from __future__ import annotations

import contextlib
import io

import msgspec
import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from backend.catalogue import service as catalogue
from backend.catalogue.tables import Procedure, Provision
from backend.db import Database, fetch, write_transaction
from tests.conftest import make_settings

RELEASE = "2026-12-01"
CODE = "1.001193"
WARD = "000.01.40.H56"
SECOND = "000.02.40.H56"
DEATH = "1.000656"


async def _previous_release() -> None:
    """Every app's migrations dated before this release, in dependency order."""
    manager = BaseMigrationManager()
    for app in manager.get_sorted_app_names():
        folder = manager.get_app_config(app).resolved_migrations_folder_path
        ids = sorted(i for i in manager.get_migration_modules(folder) if i < RELEASE)
        if ids:
            with contextlib.redirect_stdout(io.StringIO()):
                result = await run_forwards(app_name=app, migration_id=ids[-1])
            assert result.success, result.message


async def _old_rows() -> None:
    """What the previous release stored: a ward, its procedure (one agency a
    procedure), a document, a counter, a citizen and a submitted dossier."""
    statements = [
        "INSERT INTO catalogue_agency (code, name_vi, name_en, level, address, hours_vi,"
        f" hours_en) VALUES ('{WARD}', 'Ủy ban nhân dân phường Hạc Thành',"
        " 'Hac Thanh Ward People''s Committee', 'commune', 'Đại lộ Nguyễn Hoàng', '', '')",
        "INSERT INTO catalogue_procedure (code, name_vi, name_en, field_vi, field_en, agency,"
        " level, online_level, processing_days, updated_at) SELECT"
        f" '{CODE}', 'Thủ tục đăng ký khai sinh', 'Birth registration', 'Hộ tịch',"
        " 'Civil status', id, 'commune', 'full', 0, CURRENT_TIMESTAMP"
        f" FROM catalogue_agency WHERE code = '{WARD}'",
        "INSERT INTO catalogue_component (procedure, position, name_vi, name_en)"
        " SELECT id, 0, 'Tờ khai đăng ký khai sinh', 'Birth registration form'"
        f" FROM catalogue_procedure WHERE code = '{CODE}'",
        "INSERT INTO catalogue_counter (agency, number, name_vi, name_en, procedure_codes)"
        f" SELECT id, 1, 'Quầy 1', 'Counter 1', '[\"{CODE}\"]' FROM catalogue_agency"
        f" WHERE code = '{WARD}'",
        "INSERT INTO accounts_account (kind, full_name, phone, user_handle, created_at)"
        " VALUES ('citizen', 'Lê Thị Hoa', '0912345678', 'handle-1', CURRENT_TIMESTAMP)",
        "INSERT INTO dossiers_dossier (code, draft_key, procedure_code, procedure_name_vi,"
        " procedure_name_en, processing_days, receiving_agency, agency_code, status, channel,"
        " owner_id, created_at, updated_at)"
        f" SELECT '{WARD}-261130-0001', 'old-draft-key-0000001', '{CODE}',"
        " 'Thủ tục đăng ký khai sinh', 'Birth registration', 0,"
        f" '{WARD}', '{WARD}', 'submitted', 'online', id, CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP FROM accounts_account",
    ]
    async with write_transaction():
        for statement in statements:
            await fetch(statement)
        await _old_payments()


# What the previous release kept of money: a dossier's fees paid by an order, then paid
# again by a second order it had open (its share marked a duplicate, to refund).
_OLD_PAYMENT = (
    "INSERT INTO payments_payment (reference, provider, status, amount, currency, payer_kind,"
    " account_id, payer_name, payer_address, lines, client_ip, created_at, created_ms,"
    " expires_ms, check_ms, paid_at, transaction_no, bank_code, failure_code,"
    " duplicate_amount, refunded_amount, recorded_by_name)"
    " SELECT {}, 'vnpay', 'paid', 30000, 'VND', 'person', id, 'Lê Thị Hoa', '', {}, '',"
    " CURRENT_TIMESTAMP, 0, 0, 0, CURRENT_TIMESTAMP, {}, 'NCB', '', {}, 0, ''"
    " FROM accounts_account"
)
OLD_ORDERS = (("MCOLDPAID0001", "14000001", 0), ("MCOLDTWICE001", "14000002", 30000))


async def _old_payments() -> None:
    dossier = (await fetch("SELECT id FROM dossiers_dossier"))[0]["id"]
    lines = msgspec.json.encode(
        [{"dossier_id": dossier, "code": f"{WARD}-261130-0001", "agency_code": WARD,
          "amount": 30000}]
    ).decode()  # fmt: skip
    for reference, transaction, duplicate in OLD_ORDERS:
        await fetch(_OLD_PAYMENT, reference, lines, transaction, duplicate)
    await fetch(
        "INSERT INTO payments_dossier (payment, dossier_id, amount)"
        " SELECT id, {}, 30000 FROM payments_payment",
        dossier,
    )
    await fetch(
        "INSERT INTO payments_receipt (payment, issued_at)"
        " SELECT id, CURRENT_TIMESTAMP FROM payments_payment"
    )


async def test_a_database_of_the_previous_release_upgrades(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = await make_settings(tmp_path_factory.mktemp("upgrade"), "upgrade")
    database = Database(settings)
    await database.open()
    try:
        await _previous_release()
        await _old_rows()
        assert await database.pending_migrations() > 0
        applied = await database.migrate()
        assert any(i >= RELEASE for i in applied) and await database.pending_migrations() == 0

        # The procedure's one agency became the one that carries it out.
        procedure = await catalogue.get_procedure(CODE)
        assert procedure.agency_codes == [WARD] and not procedure.anywhere
        assert [c.name_vi for c in procedure.components] == ["Tờ khai đăng ký khai sinh"]
        assert (await catalogue.agency_for(procedure, None)) is not None
        place = await catalogue.provision(CODE, WARD)
        assert [c.number for c in place.counters] == [1]
        # Search still follows the table (its triggers survived), the agency filter too.
        found = await catalogue.list_procedures(q="khai sinh", agency=WARD)
        assert [item.code for item in found.items] == [CODE]
        # The old dossier and account read as before; the account has no address yet.
        rows = await fetch("SELECT code, receiving_agency FROM dossiers_dossier")
        assert rows == [{"code": f"{WARD}-261130-0001", "receiving_agency": WARD}]
        assert (await fetch("SELECT address FROM accounts_account"))[0]["address"] == ""
        # The money already taken became captures: the first order's went to the
        # dossier's fees (its receipt acknowledges it), the second's is to be refunded.
        captures = await fetch(
            "SELECT c.key, c.payment, c.provider, c.agency_code, c.reference,"
            " c.transaction_no, c.amount, c.applied, c.excess, c.refunded, c.reason, c.day,"
            " p.received_amount, d.paid, r.amount AS receipt"
            " FROM payments_capture c JOIN payments_payment p ON p.id = c.payment"
            " JOIN payments_dossier d ON d.payment = p.id"
            " JOIN payments_receipt r ON r.payment = p.id ORDER BY c.id"
        )
        assert [
            (c["reference"], c["transaction_no"], c["applied"], c["excess"], c["reason"])
            for c in captures
        ] == [
            ("MCOLDPAID0001", "14000001", 30000, 0, ""),
            ("MCOLDTWICE001", "14000002", 0, 30000, "duplicate"),
        ]
        for c in captures:
            assert c["key"] == f"legacy:{c['payment']}" and c["agency_code"] == WARD
            assert c["amount"] == c["received_amount"] == 30000 and c["refunded"] == 0
            assert c["paid"] == c["receipt"] == c["applied"] and len(c["day"]) == 10

        # The new shape takes new rows: a procedure without an agency column, carried out
        # by two agencies, whose removal takes its provisions with it.
        file = {
            "agencies": [
                {"code": SECOND, "name_vi": "Ủy ban nhân dân phường Sầm Sơn",
                 "name_en": "Sam Son Ward People's Committee", "level": "commune"}
            ],
            "procedures": [
                {"code": DEATH, "name_vi": "Thủ tục đăng ký khai tử",
                 "name_en": "Death registration",
                 "field_vi": "Hộ tịch", "field_en": "Civil status", "agencies": [WARD, SECOND],
                 "level": "commune", "online_level": "full", "processing_days": 0,
                 "components": [{"name_vi": "Tờ khai", "name_en": "Form"}]}
            ],
        }  # fmt: skip
        result = await catalogue.import_catalogue(msgspec.json.encode(file), "json")
        assert result.procedures_added == 1
        assert (await catalogue.get_procedure(DEATH)).agency_codes == [WARD, SECOND]
        found = await catalogue.list_procedures(q="khai tu", agency=SECOND)
        assert [item.code for item in found.items] == [DEATH]
        if settings.database_url is None:
            assert await fetch("PRAGMA foreign_key_check") == []
            assert (await fetch("PRAGMA integrity_check"))[0]["integrity_check"] == "ok"
        async with write_transaction():
            await Procedure.delete().where(Procedure.code == CODE)
        assert await Provision.count() == 2
    finally:
        await database.close()
