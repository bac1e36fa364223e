"""Payments as the database holds them, read by fixed SQL into Structs (every path
reads an order: the pages, the gateways' notifications, reconciliation), and shown
as the API and pages read them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec

from backend.catalogue.schemas import FeeLine
from backend.db import fetch
from backend.db.dialect import Sql, list_param
from backend.errors import NotFound
from backend.i18n import N_
from backend.payments.gateways import Order
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import DossierDue, PayerKind, PaymentRead, PaymentStatus
from backend.payments.tables import Receipt


class OrderLine(msgspec.Struct, kw_only=True):
    """What an order keeps of one dossier: enough for the receipt and the notices."""

    dossier_id: int
    code: str
    procedure_name_vi: str
    procedure_name_en: str
    agency_code: str
    fee_lines: list[FeeLine]
    amount: int
    owner_id: int | None
    organisation_id: int | None

    def due(self) -> DossierDue:
        return msgspec.convert(self, DossierDue, from_attributes=True)


class PaymentRow(msgspec.Struct, kw_only=True):
    """A row of ``payments_payment``."""

    id: int
    reference: str
    provider: str
    status: PaymentStatus
    amount: int
    received_amount: int
    payer_kind: PayerKind
    agency_code: str
    account_id: int
    organisation_id: int | None
    payer_name: str
    payer_tax_code: str | None
    payer_address: str
    lines: list[OrderLine]
    client_ip: str
    created_at: dt.datetime
    expires_ms: int
    paid_at: dt.datetime | None
    transaction_no: str
    failure_code: str
    duplicate_amount: int
    refunded_amount: int
    recorded_by_name: str

    def only(self, dossier_id: int) -> PaymentRow:
        """This payment as far as one of its dossiers is concerned."""
        lines = [line for line in self.lines if line.dossier_id == dossier_id]
        return msgspec.structs.replace(self, lines=lines)


COLUMNS = (
    "id, reference, provider, status, amount, received_amount, payer_kind, agency_code,"
    " account_id, organisation_id, payer_name, payer_tax_code, payer_address, lines,"
    " client_ip, created_at, expires_ms, paid_at, transaction_no, failure_code,"
    " duplicate_amount, refunded_amount, recorded_by_name"
)
# Fixed text (only the constant columns are put in): values go as parameters.
_SELECT = f"SELECT {COLUMNS} FROM payments_payment WHERE"  # noqa: S608
_BY_ID = f"{_SELECT} id = {{}}"
_BY_REFERENCE = f"{_SELECT} reference = {{}}"
_BY_PROVIDER = f"{_SELECT} reference = {{}} AND provider = {{}}"


_APPLIED = Sql(
    "SELECT dossier_id, SUM(paid) AS paid FROM payments_dossier"
    " WHERE dossier_id IN_IDS({}) GROUP BY dossier_id"
)
_EXCESS = (
    "SELECT COALESCE(SUM(excess), 0) AS excess, COALESCE(SUM(refunded), 0) AS refunded"
    " FROM payments_capture WHERE payment = {}"
)


def not_found() -> NotFound:
    return NotFound(
        N_("Không tìm thấy giao dịch thanh toán này, hoặc bạn không có quyền xem."),
        field="payment",
    )


def payment_of(row: dict[str, Any]) -> PaymentRow:
    """A payment from fixed SQL (its lines are JSON text; SQLite gives timestamps as
    text too)."""
    lines = row["lines"]
    return msgspec.convert(
        {**row, "lines": json.loads(lines) if isinstance(lines, str) else lines},
        PaymentRow,
        strict=False,
    )


async def payment_row(*, id: int | None = None, reference: str | None = None) -> PaymentRow:
    rows = await (fetch(_BY_ID, id) if id is not None else fetch(_BY_REFERENCE, reference))
    if not rows:
        raise not_found()
    return payment_of(rows[0])


async def payment_for(reference: str, provider: str) -> PaymentRow | None:
    """The order a gateway names (None: not one of ours)."""
    rows = await fetch(_BY_PROVIDER, reference[:16], provider)
    return payment_of(rows[0]) if rows else None


async def applied_to(dossier_ids: list[int]) -> dict[int, int]:
    """What every order applied to each of these dossiers' fees so far."""
    if not dossier_ids:
        return {}
    rows = await fetch(_APPLIED(), list_param(dossier_ids))
    return {int(row["dossier_id"]): int(row["paid"]) for row in rows}


def order_of(row: PaymentRow) -> Order:
    return Order(
        reference=row.reference,
        amount=row.amount,
        created_at=row.created_at,
        expires_at=dt.datetime.fromtimestamp(row.expires_ms / 1000, dt.UTC),
        client_ip=row.client_ip,
        transaction_no=row.transaction_no,
    )


def return_url(runtime: PaymentsRuntime, reference: str) -> str:
    return f"{runtime.public_url}/thanh-toan/{reference}/ket-qua"


async def read(runtime: PaymentsRuntime, row: PaymentRow, lang: str) -> PaymentRead:
    """A payment as its payer and the officials see it; while it is pending and in
    time, with the way to pay it (the gateway's address, or the QR code)."""
    order = order_of(row)
    receipt = await Receipt.select(Receipt.id).where(Receipt.payment == row.id)
    excess = (await fetch(_EXCESS, row.id))[0]
    read = PaymentRead(
        reference=row.reference,
        provider=row.provider,
        status=row.status,
        amount=row.amount,
        payer_kind=row.payer_kind,
        agency_code=row.agency_code,
        payer_name=row.payer_name,
        payer_tax_code=row.payer_tax_code,
        lines=[line.due() for line in row.lines],
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_at=row.paid_at,
        transaction_no=row.transaction_no,
        failure_code=row.failure_code,
        received_amount=row.received_amount,
        duplicate_amount=int(excess["excess"]) - int(excess["refunded"]),
        excess_refunded=int(excess["refunded"]),
        refunded_amount=row.refunded_amount,
        recorded_by_name=row.recorded_by_name,
        receipt_id=receipt[0]["id"] if receipt else None,
    )
    gateway = runtime.gateways.get(row.provider)
    if row.status == "pending" and gateway and row.expires_ms > runtime.now_ms():
        begun = await gateway.begin(
            order, return_url=return_url(runtime, row.reference), locale=lang
        )
        read.redirect_url, read.qr_payload = begun.redirect_url, begun.qr_payload
    return read
