"""The provider interface, and its adapters: VNPay (the real gateway, and our demo
sandbox, which speaks the same protocol) and VietQR bank transfers.

A gateway starts a payment (a redirect, or a QR code to scan), says what it knows
about an order (a status query), and refunds. What it says arrives as a ``Fact``,
whether from its notification or from a query, and the service treats both alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from backend.payments.gateways import vietqr, vnpay

Outcome = Literal["paid", "failed", "pending", "unknown"]


@dataclass(frozen=True, slots=True)
class Order:
    reference: str
    amount: int
    created_at: dt.datetime
    expires_at: dt.datetime
    client_ip: str
    transaction_no: str = ""


@dataclass(frozen=True, slots=True)
class Begun:
    redirect_url: str | None = None
    qr_payload: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """What a gateway says about an order. ``key`` names the fact itself: the same
    notification sent twice, or a query answering what a notification said, share it."""

    provider: str
    key: str
    reference: str
    amount: int
    outcome: Outcome
    code: str
    transaction_no: str = ""
    bank_code: str = ""
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refunded:
    done: bool
    method: Literal["gateway", "manual"]
    code: str = ""


class Gateway(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def merchant(self) -> str:
        """The account its money goes to, as the reconciliation names it."""
        ...

    @property
    def exact_amount(self) -> bool:
        """Whether a payment is for the order's amount only (a gateway charges what it
        was asked), or for whatever the person sent (a bank transfer)."""
        ...

    @property
    def lifetime_factor(self) -> int:
        """Unpaid orders expire after the runtime's lifetime times this."""
        ...

    async def begin(self, order: Order, *, return_url: str, locale: str) -> Begun: ...

    async def ask(self, order: Order, now: dt.datetime) -> Fact | None:
        """The gateway's answer about an order; None when asking failed (ask later)."""
        ...

    async def refund(
        self, order: Order, *, amount: int, full: bool, by: str, now: dt.datetime
    ) -> Refunded: ...


def order_info(reference: str) -> str:
    # VNPay asks for the description without diacritics.
    return f"Thanh toan phi le phi {reference}"


@dataclass(frozen=True, slots=True)
class VnpayGateway:
    name: str
    config: vnpay.VnpayConfig
    client: vnpay.VnpayClient
    lifetime_factor: int = 1
    exact_amount: ClassVar[bool] = True

    @property
    def merchant(self) -> str:
        return self.config.tmn_code

    async def begin(self, order: Order, *, return_url: str, locale: str) -> Begun:
        url = vnpay.payment_url(
            self.config,
            txn_ref=order.reference,
            amount_vnd=order.amount,
            order_info=order_info(order.reference),
            created=order.created_at,
            expires=order.expires_at,
            client_ip=order.client_ip or "127.0.0.1",
            return_url=return_url,
            locale="en" if locale == "en" else "vn",
        )
        return Begun(redirect_url=url)

    def fact(self, notification: vnpay.Notification, body: dict[str, Any]) -> Fact:
        outcome: Outcome = "paid" if notification.succeeded else "failed"
        return Fact(
            provider=self.name,
            key=_fact_key(
                self.name,
                notification.txn_ref,
                notification.transaction_no,
                notification.response_code,
                notification.transaction_status,
                notification.amount_vnd,
            ),
            reference=notification.txn_ref,
            amount=notification.amount_vnd,
            outcome=outcome,
            code=notification.response_code,
            transaction_no=notification.transaction_no,
            bank_code=notification.bank_code,
            body=body,
        )

    async def ask(self, order: Order, now: dt.datetime) -> Fact | None:
        answer = await self.client.query(
            txn_ref=order.reference,
            order_info=order_info(order.reference),
            transaction_date=order.created_at,
            now=now,
            client_ip="127.0.0.1",
        )
        if answer.response_code == "91":  # VNPay: no such transaction (never paid)
            outcome: Outcome = "unknown"
        elif answer.response_code != "00":
            return None  # the query itself failed: ask again later
        elif answer.transaction_status == "00":
            outcome = "paid"
        elif answer.transaction_status in {"01", "05"}:
            outcome = "pending"
        else:
            outcome = "failed"
        return Fact(
            provider=self.name,
            key=_fact_key(
                self.name,
                order.reference,
                answer.transaction_no,
                "00" if outcome == "paid" else answer.transaction_status,
                answer.transaction_status,
                answer.amount_vnd,
            ),
            reference=order.reference,
            amount=answer.amount_vnd,
            outcome=outcome,
            code=answer.transaction_status,
            transaction_no=answer.transaction_no,
            bank_code=answer.bank_code,
            body={"querydr": answer.response_code, "status": answer.transaction_status},
        )

    async def refund(
        self, order: Order, *, amount: int, full: bool, by: str, now: dt.datetime
    ) -> Refunded:
        answer = await self.client.refund(
            txn_ref=order.reference,
            amount_vnd=amount,
            full=full,
            transaction_no=order.transaction_no,
            transaction_date=order.created_at,
            created_by=by,
            order_info=f"Hoan phi {order.reference}",
            now=now,
            client_ip="127.0.0.1",
        )
        return Refunded(done=answer.succeeded, method="gateway", code=answer.response_code)


def _fact_key(
    provider: str, reference: str, transaction_no: str, code: str, status: str, amount: int
) -> str:
    return f"{provider}:{reference}:{transaction_no}:{code}:{status}:{amount}"


@dataclass(frozen=True, slots=True)
class VietqrConfig:
    bank_bin: str
    account: str
    webhook_secret: str
    # The account holder's name, shown to a payer who types the details by hand, to
    # check against the name the banking app finds (a scanned code carries none).
    account_name: str = ""


@dataclass(frozen=True, slots=True)
class VietqrGateway:
    """A bank transfer to the agency's account: the bank's notification confirms it.
    A person may transfer later in the day, so its orders live a day, not minutes."""

    config: VietqrConfig
    name: str = "vietqr"
    lifetime_factor: int = 96
    # A person types (or changes) the amount in their banking app.
    exact_amount: ClassVar[bool] = False

    @property
    def merchant(self) -> str:
        return f"{self.config.bank_bin}:{self.config.account}"

    async def begin(self, order: Order, *, return_url: str, locale: str) -> Begun:
        return Begun(
            qr_payload=vietqr.payload(
                bank_bin=self.config.bank_bin,
                account=self.config.account,
                amount_vnd=order.amount,
                reference=order.reference,
            )
        )

    def fact(self, transfer: vietqr.BankTransfer, reference: str) -> Fact:
        return Fact(
            provider=self.name,
            key=f"vietqr:{transfer.transaction_id}",
            reference=reference,
            amount=transfer.amount,
            outcome="paid",
            code="00",
            transaction_no=transfer.transaction_id,
            body={"account": transfer.account, "time": transfer.time},
        )

    async def ask(self, order: Order, now: dt.datetime) -> Fact | None:
        # Banks tell; there is nothing to ask. Unknown: the order expires when due.
        return Fact(self.name, "", order.reference, order.amount, "unknown", "")

    async def refund(
        self, order: Order, *, amount: int, full: bool, by: str, now: dt.datetime
    ) -> Refunded:
        # The treasury transfers it back; the official records that it was done.
        return Refunded(done=True, method="manual")
