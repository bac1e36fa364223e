"""msgspec Structs of the payments API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from backend.catalogue.schemas import FeeLine

Provider = Literal["vnpay", "vietqr", "sandbox"]
# "partial": it received less than its amount (its dossiers owe the rest).
PaymentStatus = Literal["pending", "partial", "paid", "failed", "expired"]
# Why captured money is (partly) to be refunded: more than was owed, for dossiers paid
# otherwise, after the order had failed or expired, naming no order of ours, or for
# another amount than a gateway was asked.
ExcessReason = Literal["overpaid", "duplicate", "late", "unmatched", "amount"]
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
    # What the gateways reported captured for it (a gateway's success for another
    # amount than the order's is not counted: it is all to be refunded).
    received_amount: int
    # Paid in excess (too much, twice, late) and still to be refunded to the payer;
    # ``excess_refunded``: what of such money was refunded already.
    duplicate_amount: int
    excess_refunded: int
    # Fees refunded (a refused or withdrawn dossier's).
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


class ExcessRefundIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Refunding captured money's excess: through the gateway that took it where it
    can, or recorded as given back by hand (``by_hand``: a transfer or cash)."""

    amount: Annotated[int, msgspec.Meta(ge=1)]
    reason: Reason
    by_hand: bool = False


class ExcessRead(msgspec.Struct, kw_only=True):
    """Captured money with an excess not yet fully refunded: a line of the refund queue."""

    id: int
    captured_at: dt.datetime
    provider: str
    # The account it went to: VNPay's terminal, "<bank BIN>:<account>", or "cash".
    merchant: str
    agency_code: str
    # The order's reference as the gateway or bank gave it ("" when none).
    reference: str
    transaction_no: str
    amount: int
    applied: int
    excess: int
    refunded: int
    reason: ExcessReason
    reason_vi: str
    reason_en: str
    dossier_codes: list[str]
    # Whether the gateway that took it refunds by its API (else: by hand only).
    gateway_refund: bool


class TransferRecorded(msgspec.Struct, kw_only=True):
    """The answer to a bank's transfer notification: "00" recorded (or "02": this
    notification was recorded before; "01": not our account, not recorded), and what
    became of the money."""

    outcome: str
    recorded: bool
    # The order the money was booked to, and its state now.
    payment: str | None = None
    status: PaymentStatus | None = None
    applied: int = 0
    excess: int = 0
    reason: str = ""


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
    # What the orders applied to its fees so far, and what it still owes (0 once
    # paid, refused or withdrawn): a short payment leaves the rest, payable any way.
    applied: int
    left: int
    # How much of this dossier's fees may still be refunded (refused or withdrawn).
    refundable: int


class ReceiptRead(msgspec.Struct, kw_only=True):
    id: int
    # Its legal numbering: the template symbol ("01BLP0-001"), the receipt symbol
    # ("MC-26E") and the 7-digit number in the agency's series. An agency without
    # registered symbols gives neither; a receipt from before legal numbering has the
    # symbol it was shown with ("MC26E") and no template.
    template_symbol: str
    symbol: str
    number: str
    issued_at: dt.datetime
    # What it acknowledges was paid (a short-paid order's receipt: what was received).
    amount: int
    # Who issued it: the agency that took the money (the payment's agency), the
    # collecting organisation with its tax code and address.
    agency_name_vi: str
    agency_name_en: str
    agency_tax_code: str
    agency_address: str
    payer_address: str
    payment: PaymentRead
    verify_url: str
