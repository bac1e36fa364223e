"""msgspec Structs of the payments API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from backend.catalogue.schemas import FeeLine

Provider = Literal["vnpay", "vietqr", "sandbox"]
PaymentStatus = Literal["pending", "paid", "failed", "expired"]
PayerKind = Literal["person", "organisation"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


DossierIds = Annotated[list[int], msgspec.Meta(min_length=1, max_length=50)]


class QuoteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    dossier_ids: DossierIds


class PaymentStart(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a person chooses; the amount is never among it: the server computes it."""

    dossier_ids: DossierIds
    provider: Provider
    payer: PayerKind = "person"


class DossierDue(msgspec.Struct, kw_only=True):
    dossier_id: int
    code: str
    procedure_name_vi: str
    procedure_name_en: str
    agency_code: str
    fee_lines: list[FeeLine]
    amount: int


class Quote(msgspec.Struct, kw_only=True):
    """What paying these dossiers costs, who may pay, and to which agency: the one that
    received them, which takes the money and issues the receipt."""

    dossiers: list[DossierDue]
    agency_code: str
    agency_name_vi: str
    agency_name_en: str
    total: int
    # The full price at the counter: the difference is the online discount.
    full_total: int
    payers: list[PayerKind]
    organisation_name: str | None
    organisation_tax_code: str | None
    providers: list[Provider]


class PaymentRead(msgspec.Struct, kw_only=True):
    reference: str
    provider: str
    status: PaymentStatus
    amount: int
    payer_kind: PayerKind
    # The agency that takes the money and heads the receipt.
    agency_code: str
    payer_name: str
    payer_tax_code: str | None
    lines: list[DossierDue]
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    transaction_no: str
    failure_code: str
    duplicate_amount: int
    refunded_amount: int
    recorded_by_name: str
    receipt_id: int | None
    # Where to go next: the gateway (VNPay, sandbox) while pending.
    redirect_url: str | None = None
    # The VietQR payload to show as a QR code while pending.
    qr_payload: str | None = None


class RefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)]
    reason: Reason


class RefundRead(msgspec.Struct, kw_only=True):
    id: int
    payment_reference: str
    dossier_id: int
    amount: int
    method: Literal["gateway", "manual"]
    official_name: str
    reason: str
    created_at: dt.datetime


class DossierPayments(msgspec.Struct, kw_only=True):
    """A dossier's fees and every payment made for it (the officials' view and the
    citizen's)."""

    dossier_id: int
    code: str | None
    fee_lines: list[FeeLine]
    fee_total: int
    payment_stage: Literal["reception", "result"]
    payment_status: Literal["none", "unpaid", "paid", "refunded"]
    payments: list[PaymentRead]
    refunds: list[RefundRead]
    # How much of this dossier's fees may still be refunded.
    refundable: int


class ReceiptRead(msgspec.Struct, kw_only=True):
    id: int
    number: str
    issued_at: dt.datetime
    # Who issued it: the agency that took the money (the payment's agency).
    agency_name_vi: str
    agency_name_en: str
    payment: PaymentRead
    verify_url: str
