"""The payment pages, and the parts of the dossiers' pages this domain draws.

Citizens pay from the pay step (``pay``); an order's page, the gateway's return and
the receipts are in ``status``. The fees box of the citizen's dossier and the
console's payment block are blocks (``blocks``) registered here for the dossiers'
pages to draw; the console's cash and refund forms post to ``console``; the console's
daily reconciliation is ``report``. Every rule lives in ``service``: these modules
turn forms into Structs and refusals into pages that name the input at fault.
"""

from __future__ import annotations

from typing import Any

from backend.payments.pages.blocks import NAME, citizen_box, console_block
from backend.payments.pages.console import ConsolePaymentPages
from backend.payments.pages.pay import PaymentPages
from backend.payments.pages.refunds import RefundQueuePages
from backend.payments.pages.refunds import register as register_refunds
from backend.payments.pages.report import ReconciliationExport, ReconciliationPages
from backend.payments.pages.report import register as register_reconciliation
from backend.payments.pages.status import PaymentStatusPages, ReceiptCheckPages
from backend.web.blocks import Blocks
from backend.web.console import Console

PAYMENT_PAGES: list[Any] = [
    PaymentPages,
    PaymentStatusPages,
    ReceiptCheckPages,
    ConsolePaymentPages,
    RefundQueuePages,
    ReconciliationPages,
    ReconciliationExport,
]


def register(blocks: Blocks, console: Console) -> None:
    """The fees box of the citizen's dossier page and receipt, the console's payment
    block of a dossier (whose refused forms the console shows again), and the
    console's sections of the refund queue and the daily reconciliation."""
    blocks.add("dossier.citizen", NAME, citizen_box)
    blocks.add("dossier.receipt", NAME, citizen_box)
    blocks.add("dossier.console", NAME, console_block)
    register_refunds(console)
    register_reconciliation(console)
