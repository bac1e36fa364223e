"""The payments' parts of the dossiers' pages, drawn in their slots: the fees box of
the citizen's dossier page and receipt ("dossier.citizen"), and the console's
payment block with its cash and refund forms ("dossier.console")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from backend.accounts.guards import current_principal
from backend.dossiers.schemas import DossierRead
from backend.i18n import Text
from backend.payments import service
from backend.payments.labels import failure_text, provider_label
from backend.payments.runtime import runtime_of
from backend.payments.schemas import DossierPayments
from backend.vietnam import VIETNAM
from backend.web.blocks import Block, BlockState
from backend.web.console import CONSOLE_HOME
from backend.web.forms import FormErrors
from backend.web.templates import language

NAME = "payments"
# The refund queue of the console: money paid in excess, to give back.
REFUNDS_PAGE = f"{CONSOLE_HOME}/hoan-tien"
# What the console's page says after a step of this block (its ``xong`` parameter).
DONE = frozenset({"thu-tien", "hoan-phi"})


@dataclass(frozen=True, slots=True)
class ReceiptLink:
    reference: str
    amount: int
    paid_on: dt.date | None  # the Vietnamese day


@dataclass(frozen=True, slots=True)
class CitizenBox:
    """The "Phí, lệ phí" box of a citizen's dossier."""

    fees: DossierPayments
    dossier_id: int
    # Refused or withdrawn: nothing is due any more.
    closed: bool

    @property
    def due(self) -> bool:
        return self.fees.payment_status == "unpaid" and not self.closed

    @property
    def to_refund(self) -> int:
        """Money paid in excess for it, still to be refunded to the payer."""
        return sum(p.duplicate_amount for p in self.fees.payments)

    @property
    def open_order(self) -> str | None:
        """The reference of an order under way, to carry on with it."""
        pending = [p.reference for p in self.fees.payments if p.status == "pending"]
        return pending[0] if pending else None

    @property
    def receipts(self) -> list[ReceiptLink]:
        return [
            ReceiptLink(
                p.reference, p.amount, p.paid_at.astimezone(VIETNAM).date() if p.paid_at else None
            )
            for p in self.fees.payments
            if p.receipt_id
        ]


@dataclass(frozen=True, slots=True)
class ConsoleView:
    """The console's payment block of a dossier."""

    fees: DossierPayments
    # The dossier's page in the console, where the block's forms post.
    base: str
    can_cash: bool
    can_refund: bool
    # Takes and gives back money (and so sees the refund queue).
    cashier: bool
    # Refused or withdrawn: what was paid may be refunded.
    closed: bool
    done: str = ""
    errors: FormErrors = field(default_factory=FormErrors)
    values: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def label(self, provider: str) -> Text:
        return provider_label(provider)

    def failure(self, code: str) -> Text | None:
        return failure_text(code)

    @property
    def to_refund(self) -> int:
        """Money paid in excess for it, still to be refunded (from the refund queue)."""
        return sum(p.duplicate_amount for p in self.fees.payments)

    @property
    def refunds_url(self) -> str:
        return REFUNDS_PAGE


def _unpaid_nothing(dossier: DossierRead) -> DossierPayments:
    """A dossier that owes nothing, so nothing was ever paid: no need to ask."""
    return DossierPayments(
        dossier_id=dossier.id,
        code=dossier.code,
        fee_lines=dossier.fee_lines,
        fee_total=dossier.fee_total,
        payment_stage=dossier.payment_stage,
        payment_status="none",
        payments=[],
        refunds=[],
        applied=0,
        left=0,
        refundable=0,
    )


async def citizen_box(
    request: Request[Any, Any, Any], dossier: DossierRead, state: BlockState | None
) -> Block | None:
    """The fees box of the citizen's dossier page and receipt (None before submission)."""
    principal = await current_principal(request)
    if principal is None or dossier.code is None:
        return None
    if dossier.payment_status == "none":
        fees = _unpaid_nothing(dossier)
    else:
        fees = await service.dossier_payments(
            runtime_of(request), principal, dossier.id, language(request)
        )
    view = CitizenBox(fees=fees, dossier_id=dossier.id, closed=dossier.status in service.CLOSED)
    return Block("payments/_dossier_box.html", view)


async def console_block(
    request: Request[Any, Any, Any], dossier: DossierRead, state: BlockState | None
) -> Block | None:
    """The fees, payments and refunds of a dossier in the console, and the forms of
    the officials who take and refund fees (shown again with their errors)."""
    principal = await current_principal(request)
    if principal is None or dossier.code is None:
        return None
    fees = await service.dossier_payments(
        runtime_of(request), principal, dossier.id, language(request)
    )
    cashier = principal.role in service.CASHIERS
    closed = dossier.status in service.CLOSED
    done = request.query_params.get("xong", "")
    view = ConsoleView(
        fees=fees,
        base=f"{CONSOLE_HOME}/ho-so/{dossier.id}",
        can_cash=cashier and fees.payment_status == "unpaid" and not closed,
        can_refund=cashier and closed and fees.refundable > 0,
        cashier=cashier,
        closed=closed,
        done=done if done in DONE else "",
        errors=state.errors if state else FormErrors(),
        values=state.values if state else {},
    )
    return Block("payments/_console.html", view)
