"""The rules of payments, as the other parts of the app call them: quotes and orders
(``orders``), the gateways' word applied once (``inbox``), reconciliation and expiry
(``reconciliation``), cash and refunds (``counter``), a dossier's account
(``ledger``), receipts (``receipts``) and what the figures read (``figures``).

Amounts come only from the dossiers' fee lines, fixed on submission from the
catalogue. A gateway's word is written to the inbox under a unique key before
anything changes, and an order leaves "pending" once. The browser's return from a
gateway only displays; it never settles anything. Every change of a payment's state
writes its notices to the outbox in the same transaction.
"""

from __future__ import annotations

from backend.payments.figures import PaidDossier, first_paid_day, paid_dossiers
from backend.payments.service.counter import CASHIERS, record_cash, refund
from backend.payments.service.dues import CLOSED, PROVIDERS, agency_named, offered, quote
from backend.payments.service.inbox import settle, vietqr_webhook, vnpay_ipn, vnpay_return
from backend.payments.service.ledger import dossier_payments
from backend.payments.service.orders import get_payment, start
from backend.payments.service.receipts import (
    receipt_number,
    receipt_of,
    receipt_token,
    receipt_url,
    render_receipt,
    verify_receipt,
)
from backend.payments.service.reconciliation import reconcile
from backend.payments.service.records import return_url

__all__ = [
    "CASHIERS",
    "CLOSED",
    "PROVIDERS",
    "PaidDossier",
    "agency_named",
    "dossier_payments",
    "first_paid_day",
    "get_payment",
    "offered",
    "paid_dossiers",
    "quote",
    "receipt_number",
    "receipt_of",
    "receipt_token",
    "receipt_url",
    "reconcile",
    "record_cash",
    "refund",
    "render_receipt",
    "return_url",
    "settle",
    "start",
    "verify_receipt",
    "vietqr_webhook",
    "vnpay_ipn",
    "vnpay_return",
]
