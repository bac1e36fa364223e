"""The rules of payments, as the other parts of the app call them: quotes and orders
(``orders``), the gateways' word applied once (``inbox``), reconciliation and expiry
(``reconciliation``), money captured and where it went (``capture``), cash and
refunds (``counter``), the refund queue of money paid in excess (``refunds``), a
dossier's account (``ledger``), receipts (``receipts``), what the figures read
(``figures``) and the daily reconciliation of the money taken per account and agency
(``report``).

Amounts come only from the dossiers' fee lines, fixed on submission from the
catalogue. A gateway's word is written to the inbox under a unique key before
anything changes; every đồng it reports captured is recorded, whatever became of
its order. The browser's return from a gateway only displays; it never settles
anything. Every change of a payment's state writes its notices to the outbox in the
same transaction.
"""

from __future__ import annotations

from backend.payments.figures import PaidDossier, first_paid_day, paid_dossiers
from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.capture import left_to_pay
from backend.payments.service.counter import CASHIERS, record_cash, refund
from backend.payments.service.dues import CLOSED, PROVIDERS, agency_named, offered, quote
from backend.payments.service.inbox import settle, vietqr_webhook, vnpay_ipn, vnpay_return
from backend.payments.service.ledger import dossier_payments
from backend.payments.service.orders import IDEMPOTENCY_HEADER, get_payment, start
from backend.payments.service.personal import payments_of_person
from backend.payments.service.receipts import (
    export_receipt,
    receipt_file,
    receipt_of,
    receipt_token,
    receipt_url,
    render_receipt,
    verify_receipt,
)
from backend.payments.service.reconciliation import reconcile
from backend.payments.service.records import return_url
from backend.payments.service.refunds import refund_excess, refund_queue
from backend.payments.service.report import (
    Reconciliation,
    reason_text,
    reconciliation,
    report_csv,
)

__all__ = [
    "CASHIERS",
    "CLOSED",
    "IDEMPOTENCY_HEADER",
    "PROVIDERS",
    "PaidDossier",
    "PaymentsRuntime",
    "Reconciliation",
    "agency_named",
    "dossier_payments",
    "export_receipt",
    "first_paid_day",
    "get_payment",
    "left_to_pay",
    "offered",
    "paid_dossiers",
    "payments_of_person",
    "quote",
    "reason_text",
    "receipt_file",
    "receipt_of",
    "receipt_token",
    "receipt_url",
    "reconcile",
    "reconciliation",
    "record_cash",
    "refund",
    "refund_excess",
    "refund_queue",
    "render_receipt",
    "report_csv",
    "return_url",
    "settle",
    "start",
    "verify_receipt",
    "vietqr_webhook",
    "vnpay_ipn",
    "vnpay_return",
]
