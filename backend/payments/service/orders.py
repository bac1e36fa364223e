"""Orders: a citizen's order for dossiers' fees and the way to pay it, and who may
see an order afterwards (its payer, and officials of its dossiers' agency).

An order pays the dossiers of one receiving agency, and records it (see ``dues``). The
same request made again (a double click, a retried POST) answers the order it made
instead of making a second one the person could pay twice: always when it carries the
same Idempotency-Key (kept on the order, unique per account), and without one while
its order is pending and in time. Requests of one person are taken one at a time for
this. Asking for other dossiers, another way to pay or another payer makes a new order
even if an open one covers some of the same dossiers: whichever is paid first settles
them, and money that arrives on the other is recorded and refunded.
"""

from __future__ import annotations

import re
from collections import defaultdict

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.db.dialect import is_postgres
from backend.dossiers import service as dossiers
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_
from backend.payments.gateways import vietqr
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentRead, PaymentStart
from backend.payments.service.dues import citizens_only, dossiers_due, line_of, offer_of
from backend.payments.service.records import PaymentRow, not_found, payment_row, read
from backend.payments.tables import Payment, PaymentDossier

# Ask the gateway about an order still pending after a few minutes (its notification
# may be lost).
CHECK_AFTER_MS = 5 * 60_000
# A request made again gets its earlier order while that has this long left to be paid.
REPLAY_MARGIN_MS = 2 * 60_000
# The key of the transaction-scoped PostgreSQL lock that takes one person's orders one
# at a time (with the account's id); SQLite's write lock does that already.
_ORDERS_LOCK = 7_000_001
# What a client may send as its Idempotency-Key: as Stripe takes them, up to 255
# characters; printable ASCII (space to tilde), what an HTTP field carries as it is.
IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_BY_KEY = "SELECT id FROM payments_payment WHERE account_id = {} AND idempotency_key = {}"
_ADOPT = (
    "UPDATE payments_payment SET idempotency_key = {} WHERE id = {} AND idempotency_key IS NULL"
)
_OPEN = (
    "SELECT p.id AS id, d.dossier_id AS dossier_id FROM payments_payment p"
    " JOIN payments_dossier d ON d.payment = p.id"
    " WHERE p.account_id = {} AND p.status = 'pending' AND p.provider = {}"
    " AND p.payer_kind = {} AND p.expires_ms > {} AND p.amount = {}"
)


def checked_key(value: str | None) -> str | None:
    """The request's Idempotency-Key (None: sent without one). A field value's
    surrounding spaces are not part of it (RFC 9110, 5.5); what is left must be 1 to
    255 printable ASCII characters."""
    if value is None:
        return None
    key = value.strip(" \t")
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            N_("Idempotency-Key phải có từ 1 đến 255 ký tự ASCII in được (như một UUID)."),
            field=IDEMPOTENCY_HEADER,
        )
    return key


async def _keyed(principal: Principal, key: str, data: PaymentStart) -> PaymentRow | None:
    """The person's order made under this key, if any; refused when it was made for
    another request (a key names one request: reused for another, it is a mistake
    the client should hear of, not a silent second order or the wrong one)."""
    rows = await fetch(_BY_KEY, principal.account_id, key)
    if not rows:
        return None
    order = await payment_row(id=rows[0]["id"])
    same = (
        {line.dossier_id for line in order.lines} == set(data.dossier_ids)
        and order.provider == data.provider
        and order.payer_kind == data.payer
    )
    if not same:
        raise InvalidInput(
            N_(
                "Idempotency-Key này đã được dùng cho một yêu cầu khác (hồ sơ, cách thanh"
                " toán hoặc người thanh toán khác). Yêu cầu mới cần một khóa mới."
            ),
            field=IDEMPOTENCY_HEADER,
        )
    return order


async def _same_order(
    principal: Principal, data: PaymentStart, now_ms: int, amount: int
) -> int | None:
    """The person's open order for exactly these dossiers, paid the same way, for what
    they owe now (not one made before part of it was paid another way), if any."""
    rows = await fetch(
        _OPEN, principal.account_id, data.provider, data.payer, now_ms + REPLAY_MARGIN_MS, amount
    )
    orders: defaultdict[int, set[int]] = defaultdict(set)
    for row in rows:
        orders[row["id"]].add(row["dossier_id"])
    wanted = set(data.dossier_ids)
    same = [order_id for order_id, ids in orders.items() if ids == wanted]
    return max(same) if same else None


async def start(
    runtime: PaymentsRuntime,
    principal: Principal,
    data: PaymentStart,
    *,
    client_ip: str,
    lang: str,
    idempotency_key: str | None = None,
) -> PaymentRead:
    """Make an order for these dossiers' fees, and the way to pay it. Made again under
    the same ``idempotency_key``, the order it made, as it is now (paid since, say),
    before anything is checked again: what was due then may be paid by now."""
    citizens_only(principal)
    key = checked_key(idempotency_key)
    if key is not None and (earlier := await _keyed(principal, key, data)) is not None:
        return await read(runtime, earlier, lang)
    due = await dossiers_due(principal, data.dossier_ids)
    offer, payer = await offer_of(runtime, due)
    problems = Problems()
    if data.provider not in offer.providers:
        problems.add(
            "provider", N_("Cách thanh toán này hiện không dùng được. Hãy chọn cách khác.")
        )
    if data.payer not in offer.payers:
        problems.add(
            "payer", N_("Chỉ hồ sơ của cùng một tổ chức mới thanh toán được bằng tên tổ chức.")
        )
    problems.raise_any()
    if payer is not None and data.payer == "organisation":
        payer_name, tax_code, address = payer.name, payer.tax_code, payer.address
    else:
        account = await accounts.get_account(principal.account_id)
        payer_name, tax_code, address = account.full_name, None, ""
    gateway = runtime.gateways[data.provider]
    now, now_ms = runtime.now(), runtime.now_ms()
    lifetime = runtime.lifetime * gateway.lifetime_factor
    lines = [line_of(dossier) for dossier in due]
    async with write_transaction():
        if is_postgres():
            await fetch("SELECT pg_advisory_xact_lock({}, {})", _ORDERS_LOCK, principal.account_id)
        # Under the lock: a request with the same key, at the same time, made it first.
        keyed = await _keyed(principal, key, data) if key is not None else None
        payment_id = keyed.id if keyed else await _same_order(principal, data, now_ms, offer.total)
        if payment_id is not None and key is not None and keyed is None:
            await fetch(_ADOPT, key, payment_id)
        if payment_id is None:
            inserted = await Payment.insert(
                Payment(
                    reference=vietqr.new_reference(),
                    provider=data.provider,
                    status="pending",
                    amount=offer.total,
                    payer_kind=data.payer,
                    agency_code=offer.agency_code,
                    account_id=principal.account_id,
                    organisation_id=due[0].organisation_id
                    if data.payer == "organisation"
                    else None,
                    payer_name=payer_name,
                    payer_tax_code=tax_code,
                    payer_address=address,
                    lines=msgspec.to_builtins(lines),
                    client_ip=client_ip[:45],
                    idempotency_key=key,
                    created_at=now,
                    created_ms=now_ms,
                    expires_ms=now_ms + int(lifetime.total_seconds() * 1000),
                    check_ms=now_ms + CHECK_AFTER_MS,
                )
            ).returning(Payment.id)
            payment_id = inserted[0]["id"]
            await PaymentDossier.insert(
                *(
                    PaymentDossier(
                        payment=payment_id, dossier_id=line.dossier_id, amount=line.amount
                    )
                    for line in lines
                )
            )
    return await read(runtime, await payment_row(id=payment_id), lang)


async def may_see(principal: Principal, payment: PaymentRow) -> None:
    """Whoever may see one of its dossiers; and whoever paid it in their own name (their
    receipt), but an order paid in an organisation's name only while they may see its
    dossiers: a member removed from the organisation loses it at once."""
    if principal.account_id == payment.account_id and payment.organisation_id is None:
        return
    for line in payment.lines:
        try:
            await dossiers.brief(principal, line.dossier_id)
            return
        except NotFound:
            continue
    raise not_found()


async def get_payment(
    runtime: PaymentsRuntime, principal: Principal, reference: str, lang: str
) -> PaymentRead:
    payment = await payment_row(reference=reference[:16])
    await may_see(principal, payment)
    return await read(runtime, payment, lang)
