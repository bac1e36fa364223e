"""Piccolo tables of the payments domain.

A payment is an order for one or several dossiers' fees, paid through one provider.
Its amount is computed on the server when it is made; its state moves only out of
"pending", once (``UPDATE ... WHERE status = 'pending'``). Every notification a
gateway sends, or a status query answers, is first written to ``GatewayNotice`` under
a unique key: a replay finds it there and changes nothing. Times compared in SQL are
epoch milliseconds (SQLite stores timestamps as text).
"""

from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Payment(Table, tablename="payments_payment"):
    id: Serial  # added by Piccolo; declared for the type checker
    # What the person quotes in a bank transfer and the gateway's vnp_TxnRef.
    reference = Varchar(length=16, unique=True)
    provider = Varchar(length=16)  # "vnpay" | "vietqr" | "sandbox" | "cash"
    # "pending" | "partial" (short-paid: the dossiers owe the rest) | "paid" | "failed" |
    # "expired". Money captured after a failure or expiry still moves it (see Capture).
    status = Varchar(length=16, index=True)
    amount = BigInt()  # VND
    # What the gateways reported captured for this order, however it was applied.
    received_amount = BigInt(default=0)
    currency = Varchar(length=3, default="VND")
    payer_kind = Varchar(length=16)  # "person" | "organisation"
    # The agency that takes the money and heads the receipt: the receiving agency of
    # the order's dossiers, or for cash the agency whose official took it. Orders are
    # told apart by it when the accounts are reconciled per agency.
    agency_code = Varchar(length=32, default="", index=True)
    account_id = Integer(index=True)  # who made the order (an official, for cash)
    organisation_id = Integer(null=True, default=None, index=True)
    payer_name = Text()
    payer_tax_code = Varchar(length=16, null=True, default=None)
    payer_address = Text(default="")
    # Per dossier: id, code, procedure names, agency, fee lines, amount.
    lines = JSON(default=[])
    client_ip = Varchar(length=45, default="")
    # The client's Idempotency-Key the order was made under: unique per account (a
    # partial unique index, see the migration), so a replay finds its order.
    idempotency_key = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz()
    created_ms = BigInt()
    expires_ms = BigInt()
    # When reconciliation next asks the gateway about a pending order.
    check_ms = BigInt(index=True)
    paid_at = Timestamptz(null=True, default=None, index=True)  # the figures read by it
    transaction_no = Varchar(length=64, default="")
    bank_code = Varchar(length=32, default="")
    # The gateway's code when it failed ("24": cancelled by the person).
    failure_code = Varchar(length=8, default="")
    # Paid for dossiers an earlier payment had already settled: to be refunded.
    duplicate_amount = BigInt(default=0)
    refunded_amount = BigInt(default=0)
    recorded_by_name = Text(default="")  # the official who took cash


class PaymentDossier(Table, tablename="payments_dossier"):
    """Which dossiers a payment pays for, and how much of it is each one's."""

    id: Serial
    payment = ForeignKey(references=Payment, on_delete=OnDelete.cascade, index=True)
    dossier_id = Integer(index=True)
    amount = BigInt()
    # What of the captured money went toward this dossier's fees through this order.
    paid = BigInt(default=0)


class Capture(Table, tablename="payments_capture"):
    """Money a gateway or bank reported as captured, or an official took in cash: each
    report once (under its fact's key), whatever became of it. ``applied`` went toward
    fees owed; ``excess`` (paid short of nothing: too much, twice, after the order
    failed, with no order named) is to be refunded, and ``refunded`` says how much of
    it was. The daily reconciliation lists these rows per merchant account and agency."""

    id: Serial
    key = Varchar(length=200, unique=True)
    provider = Varchar(length=16)
    # The account the money went to: VNPay's terminal code, the bank account, or
    # "cash" (the agency's till).
    merchant = Varchar(length=64)
    # The order's agency; "" when no order of ours was named.
    agency_code = Varchar(length=32, default="", index=True)
    payment = Integer(null=True, default=None, index=True)  # None: no order named
    reference = Varchar(length=100, default="")  # as the gateway or bank gave it
    transaction_no = Varchar(length=64, default="")
    amount = BigInt()
    applied = BigInt(default=0)
    excess = BigInt(default=0)
    refunded = BigInt(default=0)
    # Why there is an excess: "overpaid" | "duplicate" | "late" | "unmatched" | "amount".
    reason = Varchar(length=16, default="")
    captured_at = Timestamptz()
    # The Vietnamese calendar day (YYYY-MM-DD) it is reconciled under.
    day = Varchar(length=10, index=True)


class GatewayNotice(Table, tablename="payments_notice"):
    """The inbox: each authentic gateway notification, once, with what we answered."""

    id: Serial
    key = Varchar(length=200, unique=True)
    provider = Varchar(length=16)
    reference = Varchar(length=100, index=True)
    received_at = Timestamptz()
    source = Varchar(length=16)  # "ipn" | "querydr" | "webhook"
    outcome = Varchar(length=8, default="")  # VNPay's RspCode, or ours for webhooks
    body = JSON(default={})


class Receipt(Table, tablename="payments_receipt"):
    """The electronic receipt of a paid payment: one per payment."""

    id: Serial
    payment = ForeignKey(references=Payment, on_delete=OnDelete.restrict, unique=True)
    issued_at = Timestamptz()
    # The fees it acknowledges (a short-paid order's receipt says what was received).
    amount = BigInt(default=0)
    # Its legal numbering (see service.numbering): the collecting agency, the template
    # and receipt symbols it was issued under ("01BLP0-001", "MC-26E"), and its number
    # in the agency's series of that symbol and year. Receipts from before numbering
    # was legal keep the number they were shown with ("MC26E", their id) and no
    # template.
    agency_code = Varchar(length=32, default="")
    template_symbol = Varchar(length=16, default="")
    symbol = Varchar(length=16, default="")
    year = Integer(default=0)
    number = Integer(default=0)


class ReceiptSeries(Table, tablename="payments_receipt_series"):
    """The last number an agency gave under a receipt symbol in a year: advanced in the
    transaction that issues the receipt, so a rolled-back issue leaves no gap."""

    id: Serial
    agency_code = Varchar(length=32)
    symbol = Varchar(length=16)
    year = Integer()
    last_number = Integer(default=0)


class Refund(Table, tablename="payments_refund"):
    id: Serial
    payment = ForeignKey(references=Payment, on_delete=OnDelete.restrict, index=True)
    dossier_id = Integer(index=True)
    # The captured money whose excess this gives back (None: a closed dossier's fees).
    capture = Integer(null=True, default=None, index=True)
    amount = BigInt()
    # "gateway" (refunded through VNPay) | "manual" (cash or a transfer by the treasury).
    method = Varchar(length=16)
    # "pending" while the gateway is asked (its amount is already reserved) | "done" | "failed".
    status = Varchar(length=16, default="pending")
    gateway_code = Varchar(length=8, default="")
    official_id = Integer()
    official_name = Text()
    reason = Text()
    created_at = Timestamptz()


class SandboxTransaction(Table, tablename="payments_sandbox"):
    """The demo gateway's own books, so it can answer status queries and refunds the
    way VNPay does (demo mode only)."""

    id: Serial
    txn_ref = Varchar(length=100, unique=True)
    transaction_no = Varchar(length=16, unique=True)
    amount = BigInt()
    response_code = Varchar(length=4)
    transaction_status = Varchar(length=4)
    bank_code = Varchar(length=16, default="NCB")
    pay_date = Varchar(length=14)
    refunded = BigInt(default=0)
