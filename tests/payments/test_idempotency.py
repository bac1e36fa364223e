"""An order made once per Idempotency-Key (issue 14): the same key and request answer
the order it made (even after it was paid), the same key with another request is
refused naming the header, keys are each account's own, requests sent at once with one
key make one order, and the pay form carries a key of its own so that submitting it
twice makes one order."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.db import fetch, write_transaction
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import InvalidInput
from backend.payments import service
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentStart
from backend.payments.tables import Payment
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import submitted_with_fees
from tests.payments.test_pages import Person, citizen, reference_of, send, summary
from tests.payments.test_service import IPN, notification

API = "/api/payments/"
_copies = itertools.count(1)


async def order(
    person: Person, body: dict[str, Any], key: str | None, **headers: str
) -> httpx.Response:
    if key is not None:
        headers["Idempotency-Key"] = key
    return await person.browser.client.post(
        API, json=body, headers={**await person.browser.headers(), **headers}
    )


async def orders_of(account_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT reference, idempotency_key FROM payments_payment WHERE account_id = {} ORDER BY id",
        account_id,
    )


def key_of(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found, "the form has no idempotency key"
    return html.unescape(found.group(1))


async def test_a_replay_answers_the_order_it_made(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    http: httpx.AsyncClient,
) -> None:
    thu = await citizen(payments_app, open_browsers, name="Lê Thị Thu")
    dossier = await submitted_with_fees(runtime, thu.principal)
    body = {"dossier_ids": [dossier.id], "provider": "sandbox"}
    key = "3f1c2b9e-7a41-4c55-9d0e-5b8f2a6c1d07"

    first = await order(thu, body, key)
    assert first.status_code == 201, first.text
    again = await order(thu, {**body, "dossier_ids": [dossier.id, dossier.id]}, key)
    assert again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json().keys() == first.json().keys()
    assert again.json()["redirect_url"] == first.json()["redirect_url"]
    assert await orders_of(thu.principal.account_id) == [
        {"reference": first.json()["reference"], "idempotency_key": key}
    ]

    # Paid since: the replay answers that order as it is now, not "nothing is due".
    made = await service.get_payment(payments, thu.principal, first.json()["reference"], "vi")
    paid = await http.get(IPN, params=notification(payments, made))
    assert paid.json()["RspCode"] == "00"
    after = await order(thu, body, key)
    assert after.status_code == 201
    assert (after.json()["reference"], after.json()["status"]) == (made.reference, "paid")
    assert after.json()["redirect_url"] is None
    # Without the key the same request is what it always was: nothing is due any more.
    plain = await order(thu, body, None)
    assert plain.status_code == 422 and plain.json()["error"]["field"] == "dossier_ids"
    assert len(await orders_of(thu.principal.account_id)) == 1


async def test_the_same_key_for_another_request_is_refused(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    hoa = await citizen(payments_app, open_browsers, name="Vũ Thị Hoa")
    first = await submitted_with_fees(runtime, hoa.principal)
    second = await submitted_with_fees(runtime, hoa.principal)
    body = {"dossier_ids": [first.id], "provider": "sandbox"}
    made = await order(hoa, body, "order-1")
    assert made.status_code == 201

    for other in (
        {**body, "provider": "vietqr"},
        {**body, "dossier_ids": [first.id, second.id]},
        {**body, "dossier_ids": [second.id]},
    ):
        refused = await order(hoa, other, "order-1", **{"Accept-Language": "en"})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["field"] == "Idempotency-Key"
        assert error["message_vi"].startswith("Idempotency-Key này đã được dùng cho một yêu cầu")
        assert error["message_en"].startswith("This Idempotency-Key was already used")
        assert refused.json()["detail"] == error["message_en"]
    # Nothing was made; the first request is still answered.
    assert len(await orders_of(hoa.principal.account_id)) == 1
    assert (await order(hoa, body, "order-1")).json()["reference"] == made.json()["reference"]


@pytest.mark.parametrize(
    "key", ["", "   ", "x" * 256, "khóa-đơn", "tab\there", "line\nbreak"], ids=repr
)
async def test_what_is_not_a_key_is_refused(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    key: str,
) -> None:
    an = await citizen(payments_app, open_browsers, name="Ngô Văn An")
    dossier = await submitted_with_fees(runtime, an.principal)
    data = PaymentStart(dossier_ids=[dossier.id], provider="sandbox")
    with pytest.raises(InvalidInput) as refused:
        await service.start(
            runtime=payments_app.state["payments"],
            principal=an.principal,
            data=data,
            client_ip="",
            lang="vi",
            idempotency_key=key,
        )
    assert refused.value.field == "Idempotency-Key"
    assert refused.value.text.render("en") == (
        "Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID, say)."
    )
    assert await orders_of(an.principal.account_id) == []


async def test_keys_of_every_length_and_printable_character_are_taken(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    binh = await citizen(payments_app, open_browsers, name="Hà Văn Bình")
    longest = "".join(chr(c) for c in range(0x21, 0x7F)) * 3
    for key in ("k", longest[:255], "  with spaces inside  "):
        dossier = await submitted_with_fees(runtime, binh.principal)
        made = await order(binh, {"dossier_ids": [dossier.id], "provider": "sandbox"}, key)
        assert made.status_code == 201, (key, made.text)
    # A header's surrounding spaces are not part of its value.
    assert [row["idempotency_key"] for row in await orders_of(binh.principal.account_id)] == [
        "k",
        longest[:255],
        "with spaces inside",
    ]
    too_long = await order(
        binh, {"dossier_ids": [dossier.id], "provider": "sandbox"}, longest[:256]
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["field"] == "Idempotency-Key"


async def test_keys_are_each_accounts_own(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    lan = await citizen(payments_app, open_browsers, name="Đặng Thị Lan")
    minh = await citizen(payments_app, open_browsers, name="Đặng Văn Minh")
    hers = await submitted_with_fees(runtime, lan.principal)
    his = await submitted_with_fees(runtime, minh.principal)
    key = "shared-key-0001"
    made = await order(lan, {"dossier_ids": [hers.id], "provider": "sandbox"}, key)
    assert made.status_code == 201

    # His key is his: the same text makes his own order, and never answers hers.
    own = await order(minh, {"dossier_ids": [his.id], "provider": "sandbox"}, key)
    assert own.status_code == 201 and own.json()["reference"] != made.json()["reference"]
    # Her request replayed by him is his request for her dossier: not found, as without a key.
    theirs = await order(minh, {"dossier_ids": [hers.id], "provider": "sandbox"}, "other-key")
    assert theirs.status_code == 404
    replayed = await order(minh, {"dossier_ids": [hers.id], "provider": "sandbox"}, key)
    assert replayed.status_code == 422 and made.json()["reference"] not in replayed.text
    assert len(await orders_of(minh.principal.account_id)) == 1
    assert len(await orders_of(lan.principal.account_id)) == 1


async def test_requests_sent_at_once_with_one_key_make_one_order(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    tam = await citizen(payments_app, open_browsers, name="Trịnh Văn Tâm")
    first = await submitted_with_fees(runtime, tam.principal)
    second = await submitted_with_fees(runtime, tam.principal)
    body = {"dossier_ids": [first.id, second.id], "provider": "vietqr"}
    answers = await asyncio.gather(*(order(tam, body, "at-once") for _ in range(8)))
    assert [answer.status_code for answer in answers] == [201] * 8
    assert len({answer.json()["reference"] for answer in answers}) == 1
    # Through the service too (no HTTP in between), with the dossiers in another order.
    data = PaymentStart(dossier_ids=[second.id, first.id], provider="vietqr")
    made = await asyncio.gather(
        *(
            service.start(payments, tam.principal, data, client_ip="", lang="vi", idempotency_key=k)
            for k in ["at-once"] * 4 + ["again"] * 4
        )
    )
    # "again", another key for the same request, is answered the open order (which
    # keeps the key it was made under).
    assert {payment.reference for payment in made} == {answers[0].json()["reference"]}
    assert await orders_of(tam.principal.account_id) == [
        {"reference": answers[0].json()["reference"], "idempotency_key": "at-once"}
    ]


async def test_another_way_to_pay_while_an_order_is_open_is_a_new_order(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    # A transfer's order stays open for a day; the person now wants to pay by card.
    quyen = await citizen(payments_app, open_browsers, name="Lý Thị Quyên")
    dossier = await submitted_with_fees(runtime, quyen.principal)
    transfer = await order(quyen, {"dossier_ids": [dossier.id], "provider": "vietqr"}, "a")
    card = await order(quyen, {"dossier_ids": [dossier.id], "provider": "sandbox"}, "b")
    assert (transfer.status_code, card.status_code) == (201, 201)
    assert transfer.json()["reference"] != card.json()["reference"]
    assert card.json()["status"] == transfer.json()["status"] == "pending"


async def test_the_pay_form_is_sent_once(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    nga = await citizen(payments_app, open_browsers, name="Phan Thị Nga")
    dossier = await submitted_with_fees(runtime, nga.principal)
    url = f"/ho-so/{dossier.id}/thanh-toan"
    drawn = (await nga.browser.get(url)).text
    key = key_of(drawn)
    assert key != key_of((await nga.browser.get(url)).text)  # each drawing its own

    # A double click, or the same form posted again after a timeout: one order.
    form = {"payer": "person", "provider": "vietqr", "idempotency_key": key}
    posted = await asyncio.gather(send(nga.browser, url, form), send(nga.browser, url, form))
    assert [answer.status_code for answer in posted] == [303, 303]
    references = {reference_of(answer.headers["location"]) for answer in posted}
    later = await send(nga.browser, url, form)
    assert later.status_code == 303 and reference_of(later.headers["location"]) in references
    assert len(references) == 1 and len(await orders_of(nga.principal.account_id)) == 1

    # The same page sent again with another choice (restored from the history): it
    # is drawn again with a new key, and sent from there it makes the new order.
    other = await send(nga.browser, url, {**form, "provider": "sandbox"})
    assert other.status_code == 422
    assert "Trang này đã được gửi trước đó với lựa chọn khác." in summary(other.text)
    assert "Idempotency-Key" not in other.text
    fresh = key_of(other.text)
    assert fresh != key
    assert 'value="sandbox" checked' in other.text
    made = await send(nga.browser, url, {**form, "provider": "sandbox", "idempotency_key": fresh})
    assert made.status_code == 303
    assert reference_of(made.headers["location"]) not in references
    assert len(await orders_of(nga.principal.account_id)) == 2

    # A form drawn before keys makes its order as before (the open one is answered).
    old = await send(nga.browser, url, {"payer": "person", "provider": "sandbox"})
    assert reference_of(old.headers["location"]) == reference_of(made.headers["location"])


async def test_the_database_keeps_a_key_to_one_order_of_an_account(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    # Behind the service's lock, the unique index: (account, key), orders without a
    # key (NULL) as many as there are.
    me, other = await people(), await people()
    dossier = await submitted_with_fees(runtime, me)
    made = await service.start(
        payments,
        me,
        PaymentStart(dossier_ids=[dossier.id], provider="vietqr"),
        client_ip="",
        lang="vi",
        idempotency_key="one",
    )
    [row] = await Payment.select().where(Payment.reference == made.reference)
    copy = {k: v for k, v in row.items() if k != "id"}

    def like(**changes: Any) -> Payment:
        return Payment(**{**copy, "reference": f"MCIDEM{next(_copies):06d}", **changes})

    with pytest.raises(Exception, match=r"(?i)unique"):
        async with write_transaction():
            await Payment.insert(like())
    await Payment.insert(like(account_id=other.account_id))
    await Payment.insert(like(idempotency_key=None), like(idempotency_key=None))
    keyed = await fetch(
        "SELECT COUNT(*) AS n FROM payments_payment WHERE idempotency_key = 'one'"
        " AND account_id = {}",
        me.account_id,
    )
    assert keyed[0]["n"] == 1
