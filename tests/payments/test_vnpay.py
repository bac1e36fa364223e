"""VNPay 2.1.0: signatures checked against HMACs computed here from canonical strings
written out by hand, the redirect URL read back, notifications, and the merchant API
against a local transport that speaks the protocol (the network edge)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from backend.payments.gateways import vnpay
from backend.payments.gateways.vnpay import (
    IPN_MESSAGES,
    InvalidSignature,
    MalformedNotification,
    Notification,
    VnpayClient,
    VnpayConfig,
)
from backend.vietnam import VIETNAM

SECRET = "SECRETKEY0123456789ABCDEFGHIJKLM"
CONFIG = VnpayConfig(
    tmn_code="DEMOV210",
    hash_secret=SECRET,
    pay_url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
    api_url="https://sandbox.vnpayment.vn/merchant_webapi/api/transaction",
)
REF = "MCABCD234567"


def hmac512(data: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


# ---------------------------------------------------------------- signatures

PARAMS = {
    "vnp_TxnRef": REF,
    "vnp_OrderInfo": "Thanh toan ho so ~ lệ phí (1/2)*",
    "vnp_Amount": "1000000",
    "vnp_TmnCode": "DEMOV210",
    "vnp_ReturnUrl": "https://motcua.example/payments/return?x=1&y=a b",
    "vnp_BankCode": "",  # empty: not signed
    "vnp_SecureHashType": "HmacSHA512",  # never signed
    "utm_source": "zalo",  # not a vnp_ parameter
}
# PHP's urlencode: space as "+", "~" as %7E, UTF-8 bytes percent-encoded.
CANONICAL = (
    "vnp_Amount=1000000"
    "&vnp_OrderInfo=Thanh+toan+ho+so+%7E+l%E1%BB%87+ph%C3%AD+%281%2F2%29%2A"
    "&vnp_ReturnUrl=https%3A%2F%2Fmotcua.example%2Fpayments%2Freturn%3Fx%3D1%26y%3Da+b"
    "&vnp_TmnCode=DEMOV210"
    "&vnp_TxnRef=MCABCD234567"
)


def test_sign_matches_a_hand_written_canonical_string() -> None:
    assert vnpay.sign(SECRET, PARAMS) == hmac512(CANONICAL)


def test_sign_ignores_order_empty_values_and_the_hash_fields() -> None:
    reordered = dict(reversed(list(PARAMS.items())))
    trimmed = {k: v for k, v in PARAMS.items() if k.startswith("vnp_") and v}
    del trimmed["vnp_SecureHashType"]
    assert vnpay.sign(SECRET, reordered) == vnpay.sign(SECRET, trimmed) == hmac512(CANONICAL)
    signed = {**PARAMS, "vnp_SecureHash": "ab" * 64}
    assert vnpay.sign(SECRET, signed) == hmac512(CANONICAL)


def test_verify_accepts_either_case_and_refuses_changes() -> None:
    digest = hmac512(CANONICAL)
    assert vnpay.verify(SECRET, {**PARAMS, "vnp_SecureHash": digest})
    assert vnpay.verify(SECRET, {**PARAMS, "vnp_SecureHash": digest.upper()})
    assert not vnpay.verify(SECRET, PARAMS)
    assert not vnpay.verify(SECRET, {**PARAMS, "vnp_SecureHash": ""})
    assert not vnpay.verify(SECRET, {**PARAMS, "vnp_SecureHash": "đ" * 128})
    assert not vnpay.verify("other", {**PARAMS, "vnp_SecureHash": digest})
    tampered = {**PARAMS, "vnp_Amount": "100000000", "vnp_SecureHash": digest}
    assert not vnpay.verify(SECRET, tampered)
    # A signed parameter emptied drops out of the data: still a change.
    emptied = {**PARAMS, "vnp_TxnRef": "", "vnp_SecureHash": digest}
    assert not vnpay.verify(SECRET, emptied)


def test_sign_fields_joins_values_in_the_given_order() -> None:
    values = {"b": "2", "a": "1", "c": "ba"}
    assert vnpay.sign_fields(SECRET, values, ["a", "b", "missing", "c"]) == hmac512("1|2||ba")
    assert vnpay.sign_fields(SECRET, values, ["c", "b", "a"]) == hmac512("ba|2|1")


# ---------------------------------------------------------------- times


def test_vnp_time_is_vietnam_time() -> None:
    utc = dt.datetime(2026, 11, 22, 17, 30, 5, tzinfo=dt.UTC)
    assert vnpay.vnp_time(utc) == "20261123003005"
    assert vnpay.vnp_time(utc.astimezone(VIETNAM)) == "20261123003005"
    # Naive moments are UTC, as the database stores them.
    assert vnpay.vnp_time(dt.datetime(2026, 11, 22, 17, 30, 5)) == "20261123003005"


def test_parse_vnp_time() -> None:
    moment = vnpay.parse_vnp_time("20261123003005")
    assert moment.tzinfo is not None
    assert moment == dt.datetime(2026, 11, 22, 17, 30, 5, tzinfo=dt.UTC)
    assert vnpay.vnp_time(moment) == "20261123003005"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026112300300",
        "202611230030051",
        "2026-11-23T00:3",
        "20261399000000",
        "２０２６１１２３００３００５",
    ],
)
def test_parse_vnp_time_refuses_junk(text: str) -> None:
    with pytest.raises(ValueError):
        vnpay.parse_vnp_time(text)


# ---------------------------------------------------------------- the redirect

CREATED = dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC)


def make_url(**extra: Any) -> str:
    arguments: dict[str, Any] = {
        "txn_ref": REF,
        "amount_vnd": 115_000,
        "order_info": "Thanh toán lệ phí hồ sơ Đăng ký khai sinh",
        "created": CREATED,
        "expires": CREATED + dt.timedelta(minutes=15),
        "client_ip": "203.0.113.7",
        "return_url": "https://motcua.example/payments/vnpay/return",
        "locale": "vn",
        **extra,
    }
    return vnpay.payment_url(CONFIG, **arguments)


def test_payment_url_round_trip() -> None:
    url = make_url(bank_code="NCB")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CONFIG.pay_url
    params = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True))
    assert vnpay.verify(SECRET, params)
    assert params == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": "DEMOV210",
        "vnp_Amount": "11500000",
        "vnp_CreateDate": "20261122083000",
        "vnp_ExpireDate": "20261122084500",
        "vnp_CurrCode": "VND",
        "vnp_IpAddr": "203.0.113.7",
        "vnp_Locale": "vn",
        # VNPay asks for Vietnamese without diacritics.
        "vnp_OrderInfo": "Thanh toan le phi ho so Dang ky khai sinh",
        "vnp_OrderType": "other",
        "vnp_ReturnUrl": "https://motcua.example/payments/vnpay/return",
        "vnp_TxnRef": REF,
        "vnp_BankCode": "NCB",
        "vnp_SecureHash": params["vnp_SecureHash"],
    }
    # The query string is the signed data itself, the hash appended.
    query, _, digest = parts.query.rpartition("&vnp_SecureHash=")
    assert digest == hmac512(query)
    assert query.startswith("vnp_Amount=11500000&vnp_BankCode=NCB&vnp_Command=pay&")


def test_payment_url_without_bank_code() -> None:
    params = dict(parse_qsl(urlsplit(make_url(locale="en")).query))
    assert "vnp_BankCode" not in params
    assert params["vnp_Locale"] == "en"
    assert vnpay.verify(SECRET, params)


@pytest.mark.parametrize(
    "extra",
    [
        {"amount_vnd": 0},
        {"amount_vnd": -100},
        {"txn_ref": ""},
        {"txn_ref": "X" * 101},
        {"expires": CREATED},
        {"order_info": "  “” "},
    ],
)
def test_payment_url_refuses_bad_orders(extra: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_url(**extra)


# ---------------------------------------------------------------- notifications

IPN = {
    "vnp_Amount": "11500000",
    "vnp_BankCode": "NCB",
    "vnp_BankTranNo": "VNP14226112",
    "vnp_CardType": "ATM",
    "vnp_OrderInfo": "Thanh toan le phi ho so",
    "vnp_PayDate": "20261122083512",
    "vnp_ResponseCode": "00",
    "vnp_TmnCode": "DEMOV210",
    "vnp_TransactionNo": "14226112",
    "vnp_TransactionStatus": "00",
    "vnp_TxnRef": REF,
}


def signed(values: dict[str, str]) -> dict[str, str]:
    return vnpay.signed_notification(CONFIG, values)


def test_signed_notification_signs_like_the_gateway() -> None:
    params = signed(IPN)
    canonical = (
        "vnp_Amount=11500000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM"
        "&vnp_OrderInfo=Thanh+toan+le+phi+ho+so&vnp_PayDate=20261122083512"
        "&vnp_ResponseCode=00&vnp_TmnCode=DEMOV210&vnp_TransactionNo=14226112"
        "&vnp_TransactionStatus=00&vnp_TxnRef=MCABCD234567"
    )
    assert params == {**IPN, "vnp_SecureHash": hmac512(canonical)}


def test_read_notification() -> None:
    notification = vnpay.read_notification(CONFIG, signed(IPN))
    assert notification == Notification(
        txn_ref=REF,
        amount_vnd=115_000,
        response_code="00",
        transaction_status="00",
        transaction_no="14226112",
        bank_code="NCB",
        pay_date=dt.datetime(2026, 11, 22, 8, 35, 12, tzinfo=VIETNAM),
    )
    assert notification.succeeded


def test_read_notification_accepts_upper_case_hex_and_the_hash_type() -> None:
    params = signed(IPN)
    params["vnp_SecureHash"] = params["vnp_SecureHash"].upper()
    params["vnp_SecureHashType"] = "HmacSHA512"
    assert vnpay.read_notification(CONFIG, params).succeeded


@pytest.mark.parametrize(
    ("response", "status"), [("24", "02"), ("00", "01"), ("07", "00"), ("00", "02")]
)
def test_a_failed_or_unfinished_payment_did_not_succeed(response: str, status: str) -> None:
    values = {**IPN, "vnp_ResponseCode": response, "vnp_TransactionStatus": status}
    assert not vnpay.read_notification(CONFIG, signed(values)).succeeded


def test_a_cancelled_payment_has_no_pay_date() -> None:
    values = {**IPN, "vnp_ResponseCode": "24", "vnp_TransactionNo": "0"}
    del values["vnp_PayDate"]
    notification = vnpay.read_notification(CONFIG, signed(values))
    assert notification.pay_date is None
    assert notification.transaction_no == "0"


@pytest.mark.parametrize(
    "change",
    [
        {"vnp_Amount": "1150000000"},
        {"vnp_TxnRef": "MCZZZZ234567"},
        {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TmnCode": "OTHER123"},
        {"vnp_SecureHash": ""},
    ],
)
def test_tampered_notifications_are_refused(change: dict[str, str]) -> None:
    params = {**signed({**IPN, "vnp_ResponseCode": "24"}), **change}
    with pytest.raises(InvalidSignature):
        vnpay.read_notification(CONFIG, params)


def test_a_notification_without_signature_or_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        vnpay.read_notification(CONFIG, IPN)
    forged = {**IPN, "vnp_SecureHash": vnpay.sign("guessed", IPN)}
    with pytest.raises(InvalidSignature):
        vnpay.read_notification(CONFIG, forged)


@pytest.mark.parametrize(
    "change",
    [
        {"vnp_TmnCode": "OTHER123"},
        {"vnp_Amount": "11500050"},  # not a whole number of đồng
        {"vnp_Amount": "-11500000"},
        {"vnp_Amount": "115.000"},
        {"vnp_Amount": "１１５００００"},
        {"vnp_Amount": ""},
        {"vnp_TxnRef": ""},
        {"vnp_ResponseCode": ""},
        {"vnp_TransactionStatus": ""},
        {"vnp_PayDate": "22/11/2026"},
    ],
)
def test_signed_but_malformed_notifications(change: dict[str, str]) -> None:
    with pytest.raises(MalformedNotification):
        vnpay.read_notification(CONFIG, signed({**IPN, **change}))


def test_ipn_answers() -> None:
    assert vnpay.ipn_answer("00") == {"RspCode": "00", "Message": "Confirm Success"}
    assert vnpay.ipn_answer("97") == {"RspCode": "97", "Message": "Invalid signature"}
    assert set(IPN_MESSAGES) == {"00", "01", "02", "04", "97", "99"}
    assert IPN_MESSAGES["99"] == "Unknow error"  # sic: VNPay's spelling


# ---------------------------------------------------------------- the merchant API

NOW = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)


class Gateway:
    """A transport answering the merchant API as VNPay does: it checks the request's
    signature, then answers with ``answer`` (signed unless told otherwise)."""

    def __init__(self, answer: dict[str, str], *, sign_with: str | None = SECRET) -> None:
        self.answer = answer
        self.sign_with = sign_with
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert str(request.url) == CONFIG.api_url
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        self.requests.append(body)
        command = vnpay.check_api_request(CONFIG, body)
        answer = {"vnp_Command": command, **self.answer}
        if self.sign_with is not None:
            config = VnpayConfig(CONFIG.tmn_code, self.sign_with, CONFIG.pay_url, CONFIG.api_url)
            answer = vnpay.signed_api_response(config, command, answer)
        return httpx.Response(200, json=answer)


def client_for(handler: Any) -> VnpayClient:
    return VnpayClient(CONFIG, httpx.AsyncClient(transport=httpx.MockTransport(handler)))


QUERY_ANSWER = {
    "vnp_ResponseId": "8d1a5c",
    "vnp_ResponseCode": "00",
    "vnp_Message": "QueryDR Success",
    "vnp_TmnCode": "DEMOV210",
    "vnp_TxnRef": REF,
    "vnp_Amount": "11500000",
    "vnp_OrderInfo": "Thanh toan le phi ho so",
    "vnp_BankCode": "NCB",
    "vnp_PayDate": "20261122083512",
    "vnp_TransactionNo": "14226112",
    "vnp_TransactionType": "01",
    "vnp_TransactionStatus": "00",
}


async def query(client: VnpayClient) -> vnpay.QueryResult:
    return await client.query(
        txn_ref=REF,
        order_info="Truy vấn giao dịch",
        transaction_date=CREATED,
        now=NOW,
        client_ip="198.51.100.4",
    )


async def test_query_signs_its_request_in_the_documented_order() -> None:
    gateway = Gateway(QUERY_ANSWER)
    result = await query(client_for(gateway))
    [body] = gateway.requests
    request_id = body["vnp_RequestId"]
    assert 1 <= len(request_id) <= 32 and request_id.isalnum()
    assert body == {
        "vnp_RequestId": request_id,
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": "DEMOV210",
        "vnp_TxnRef": REF,
        "vnp_OrderInfo": "Truy van giao dich",
        "vnp_TransactionDate": "20261122083000",
        "vnp_CreateDate": "20261122090000",
        "vnp_IpAddr": "198.51.100.4",
        "vnp_SecureHash": hmac512(
            f"{request_id}|2.1.0|querydr|DEMOV210|MCABCD234567|20261122083000"
            "|20261122090000|198.51.100.4|Truy van giao dich"
        ),
    }
    assert result == vnpay.QueryResult(
        response_code="00",
        transaction_status="00",
        amount_vnd=115_000,
        transaction_no="14226112",
        bank_code="NCB",
        pay_date=dt.datetime(2026, 11, 22, 8, 35, 12, tzinfo=VIETNAM),
        message="QueryDR Success",
        transaction_type="01",
    )
    assert result.found and result.succeeded


async def test_request_ids_are_unique() -> None:
    gateway = Gateway(QUERY_ANSWER)
    client = client_for(gateway)
    for _ in range(5):
        await query(client)
    assert len({body["vnp_RequestId"] for body in gateway.requests}) == 5


def test_the_query_response_is_signed_in_the_documented_order() -> None:
    answer = vnpay.signed_api_response(
        CONFIG, "querydr", {**QUERY_ANSWER, "vnp_Command": "querydr"}
    )
    # The promotion fields, absent, are signed as empty strings.
    assert answer["vnp_SecureHash"] == hmac512(
        "8d1a5c|querydr|00|QueryDR Success|DEMOV210|MCABCD234567|11500000|NCB"
        "|20261122083512|14226112|01|00|Thanh toan le phi ho so||"
    )


def test_the_refund_response_is_signed_in_the_documented_order() -> None:
    values = {**QUERY_ANSWER, "vnp_Command": "refund", "vnp_TransactionType": "02"}
    answer = vnpay.signed_api_response(CONFIG, "refund", values)
    assert answer["vnp_SecureHash"] == hmac512(
        "8d1a5c|refund|00|QueryDR Success|DEMOV210|MCABCD234567|11500000|NCB"
        "|20261122083512|14226112|02|00|Thanh toan le phi ho so"
    )


async def test_query_of_an_unknown_transaction() -> None:
    answer = {
        "vnp_ResponseId": "91aa",
        "vnp_ResponseCode": "91",
        "vnp_Message": "Transaction not found",
        "vnp_TmnCode": "DEMOV210",
    }
    result = await query(client_for(Gateway(answer)))
    assert not result.found and not result.succeeded
    assert result.amount_vnd == 0 and result.pay_date is None


async def test_query_with_numbers_in_the_json() -> None:
    # Were VNPay to write the amount as a JSON number, it is read as the text it signed.
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        answer = vnpay.signed_api_response(
            CONFIG,
            vnpay.check_api_request(CONFIG, body),
            {**QUERY_ANSWER, "vnp_Command": "querydr"},
        )
        return httpx.Response(200, json={**answer, "vnp_Amount": 11500000})

    assert (await query(client_for(handler))).amount_vnd == 115_000


async def test_a_forged_query_response_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        await query(client_for(Gateway(QUERY_ANSWER, sign_with="guessed")))


async def test_an_unsigned_query_response_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        await query(client_for(Gateway(QUERY_ANSWER, sign_with=None)))


async def test_a_changed_query_response_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        values = {**QUERY_ANSWER, "vnp_Command": "querydr", "vnp_TransactionStatus": "02"}
        answer = vnpay.signed_api_response(CONFIG, vnpay.check_api_request(CONFIG, body), values)
        return httpx.Response(200, json={**answer, "vnp_TransactionStatus": "00"})

    with pytest.raises(InvalidSignature):
        await query(client_for(handler))


async def test_a_genuine_response_about_another_order_is_refused() -> None:
    with pytest.raises(MalformedNotification):
        await query(client_for(Gateway({**QUERY_ANSWER, "vnp_TxnRef": "MCZZZZ234567"})))


@pytest.mark.parametrize("content", [b"<html>Bad gateway</html>", b"[1, 2]", b""])
async def test_a_response_that_is_not_a_json_object_is_refused(content: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content)

    with pytest.raises(InvalidSignature):
        await query(client_for(handler))


async def test_http_and_network_errors_propagate() -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="maintenance")

    with pytest.raises(httpx.HTTPStatusError):
        await query(client_for(failing))

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(httpx.ConnectError):
        await query(client_for(unreachable))


REFUND_ANSWER = {
    "vnp_ResponseId": "r-771",
    "vnp_ResponseCode": "00",
    "vnp_Message": "Refund success",
    "vnp_TmnCode": "DEMOV210",
    "vnp_TxnRef": REF,
    "vnp_Amount": "5000000",
    "vnp_OrderInfo": "Hoan phi",
    "vnp_BankCode": "NCB",
    "vnp_PayDate": "20261122100000",
    "vnp_TransactionNo": "14226999",
    "vnp_TransactionType": "03",
    "vnp_TransactionStatus": "05",
}


async def refund(client: VnpayClient, *, full: bool, amount_vnd: int) -> vnpay.RefundResult:
    return await client.refund(
        txn_ref=REF,
        amount_vnd=amount_vnd,
        full=full,
        transaction_no="14226112",
        transaction_date=CREATED,
        created_by="Lê Thị Hoa",
        order_info="Hoàn phí hồ sơ",
        now=NOW,
        client_ip="198.51.100.4",
    )


@pytest.mark.parametrize(("full", "kind"), [(True, "02"), (False, "03")])
async def test_refund_signs_its_request_in_the_documented_order(full: bool, kind: str) -> None:
    gateway = Gateway(REFUND_ANSWER)
    result = await refund(client_for(gateway), full=full, amount_vnd=50_000)
    [body] = gateway.requests
    request_id = body["vnp_RequestId"]
    assert body == {
        "vnp_RequestId": request_id,
        "vnp_Version": "2.1.0",
        "vnp_Command": "refund",
        "vnp_TmnCode": "DEMOV210",
        "vnp_TransactionType": kind,
        "vnp_TxnRef": REF,
        "vnp_Amount": "5000000",
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionDate": "20261122083000",
        "vnp_CreateBy": "Lê Thị Hoa",
        "vnp_CreateDate": "20261122090000",
        "vnp_IpAddr": "198.51.100.4",
        "vnp_OrderInfo": "Hoan phi ho so",
        "vnp_SecureHash": hmac512(
            f"{request_id}|2.1.0|refund|DEMOV210|{kind}|MCABCD234567|5000000|14226112"
            "|20261122083000|Lê Thị Hoa|20261122090000|198.51.100.4|Hoan phi ho so"
        ),
    }
    assert result == vnpay.RefundResult(
        response_code="00",
        transaction_status="05",
        transaction_no="14226999",
        message="Refund success",
    )
    assert result.succeeded


async def test_a_refused_refund() -> None:
    answer = {**REFUND_ANSWER, "vnp_ResponseCode": "94", "vnp_Message": "Duplicate request"}
    result = await refund(client_for(Gateway(answer)), full=True, amount_vnd=115_000)
    assert not result.succeeded
    assert result.response_code == "94"


async def test_a_forged_refund_response_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        await refund(
            client_for(Gateway(REFUND_ANSWER, sign_with="guessed")), full=True, amount_vnd=1
        )


async def test_a_refund_response_signed_as_a_query_is_refused() -> None:
    # The query's order (with the promotion fields) does not sign a refund response.
    def handler(request: httpx.Request) -> httpx.Response:
        values = {**REFUND_ANSWER, "vnp_Command": "refund"}
        return httpx.Response(200, json=vnpay.signed_api_response(CONFIG, "querydr", values))

    with pytest.raises(InvalidSignature):
        await refund(client_for(handler), full=True, amount_vnd=1)


async def test_refund_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        await refund(client_for(Gateway(REFUND_ANSWER)), full=False, amount_vnd=0)


# ---------------------------------------------------------------- the gateway side


def request_body(command: str, fields: tuple[str, ...]) -> dict[str, str]:
    body = {field: f"value-{index}" for index, field in enumerate(fields)}
    body["vnp_Command"] = command
    body["vnp_SecureHash"] = hmac512("|".join(body[field] for field in fields))
    return body


def test_check_api_request() -> None:
    query_body = request_body("querydr", vnpay.QUERY_REQUEST_FIELDS)
    refund_body = request_body("refund", vnpay.REFUND_REQUEST_FIELDS)
    assert vnpay.check_api_request(CONFIG, query_body) == "querydr"
    assert vnpay.check_api_request(CONFIG, refund_body) == "refund"
    upper = {**refund_body, "vnp_SecureHash": refund_body["vnp_SecureHash"].upper()}
    assert vnpay.check_api_request(CONFIG, upper) == "refund"


@pytest.mark.parametrize(
    "change",
    [{"vnp_Amount": "1"}, {"vnp_TxnRef": "MCZZZZ234567"}, {"vnp_SecureHash": ""}],
)
def test_check_api_request_refuses_changed_requests(change: dict[str, str]) -> None:
    body = {**request_body("refund", vnpay.REFUND_REQUEST_FIELDS), **change}
    with pytest.raises(InvalidSignature):
        vnpay.check_api_request(CONFIG, body)


def test_check_api_request_refuses_a_query_signed_as_a_refund() -> None:
    body = request_body("refund", vnpay.REFUND_REQUEST_FIELDS)
    body["vnp_Command"] = "querydr"
    with pytest.raises(InvalidSignature):
        vnpay.check_api_request(CONFIG, body)


def test_check_api_request_refuses_unknown_commands() -> None:
    body = request_body("pay", vnpay.QUERY_REQUEST_FIELDS)
    with pytest.raises(MalformedNotification):
        vnpay.check_api_request(CONFIG, body)
    with pytest.raises(MalformedNotification):
        vnpay.check_api_request(CONFIG, {})
