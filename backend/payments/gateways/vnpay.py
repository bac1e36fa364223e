"""VNPay payment gateway, protocol version 2.1.0.

The redirect: the citizen's browser is sent to ``pay_url`` with ``vnp_*`` parameters
and a ``vnp_SecureHash``: the HMAC-SHA512 (hex) of the parameters sorted by name,
empty ones left out, each written ``name=value`` with the value URL-encoded as PHP's
``urlencode`` does (space as ``+``, everything but letters, digits and ``-_.``
percent-encoded), joined with ``&``. Amounts are VND × 100; times are
``yyyyMMddHHmmss`` in Vietnam time (GMT+7).

After payment VNPay calls the merchant's IPN URL server to server (GET, parameters
signed the same way): the only source of truth, answered with a JSON ``RspCode``. It
also sends the browser back to the return URL with the same parameters, which only
serves to show a result.

The merchant API (``querydr`` to ask for a transaction's state, ``refund``) takes and
returns JSON, signed differently: HMAC-SHA512 over field values joined with ``|`` in
an order fixed per message (VNPay's "API querydr, refund" page), absent fields as
empty strings.

Besides the merchant side, this module holds the gateway side of every message
(checking requests, signing responses and notifications) for the offline sandbox
gateway, so both ends share one implementation of the protocol.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx

from backend.vietnam import VIETNAM, in_vietnam

VERSION = "2.1.0"
CURRENCY = "VND"
SUCCESS = "00"

Command = Literal["querydr", "refund"]

# The orders of the merchant API's "|"-joined hash data (VNPay's documentation of
# querydr and refund, as in its demo code): requests are signed by the merchant,
# responses by VNPay. The query response signs the promotion fields even when absent.
QUERY_REQUEST_FIELDS: tuple[str, ...] = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS: tuple[str, ...] = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
REFUND_REQUEST_FIELDS: tuple[str, ...] = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS: tuple[str, ...] = QUERY_RESPONSE_FIELDS[:13]

_REQUEST_FIELDS: dict[Command, tuple[str, ...]] = {
    "querydr": QUERY_REQUEST_FIELDS,
    "refund": REFUND_REQUEST_FIELDS,
}
_RESPONSE_FIELDS: dict[Command, tuple[str, ...]] = {
    "querydr": QUERY_RESPONSE_FIELDS,
    "refund": REFUND_RESPONSE_FIELDS,
}

FULL_REFUND = "02"
PARTIAL_REFUND = "03"

# What the merchant answers an IPN with, in VNPay's own words (its spelling included:
# VNPay's examples answer exactly these).
IPN_MESSAGES: dict[str, str] = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "invalid amount",
    "97": "Invalid signature",
    "99": "Unknow error",
}

_HASH = "vnp_SecureHash"
_NOT_SIGNED = frozenset({_HASH, "vnp_SecureHashType"})
_TIME_FORMAT = "%Y%m%d%H%M%S"
_TIME = re.compile(r"[0-9]{14}")
_AMOUNT = re.compile(r"[0-9]{1,20}")
# VNPay's limits on the fields we write (Alphanumeric[1,100] and [1,255]).
_TXN_REF_MAX = 100
_ORDER_INFO_MAX = 255


class InvalidSignature(Exception):
    """A message claiming to come from VNPay (or, at the gateway, from the merchant)
    whose signature is missing or wrong: nothing in it can be trusted."""


class MalformedNotification(ValueError):
    """A correctly signed message that cannot be used: a field missing or invalid, or
    meant for another merchant or request."""


@dataclass(frozen=True, slots=True)
class VnpayConfig:
    tmn_code: str  # the merchant's terminal code (vnp_TmnCode)
    hash_secret: str
    pay_url: str  # e.g. https://sandbox.vnpayment.vn/paymentv2/vpcpay.html
    api_url: str  # e.g. https://sandbox.vnpayment.vn/merchant_webapi/api/transaction


# ---------------------------------------------------------------- times


def vnp_time(moment: dt.datetime) -> str:
    """``moment`` as VNPay writes times: yyyyMMddHHmmss in Vietnam time."""
    return in_vietnam(moment).strftime(_TIME_FORMAT)


def parse_vnp_time(text: str) -> dt.datetime:
    """A VNPay time (yyyyMMddHHmmss, Vietnam time) as an aware datetime."""
    if not _TIME.fullmatch(text):
        raise ValueError(f"not a VNPay time (yyyyMMddHHmmss): {text!r}")
    return dt.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=VIETNAM)


# ---------------------------------------------------------------- signatures


def _hmac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def _encode(value: str) -> str:
    # PHP's urlencode, which VNPay's reference code uses, also escapes "~";
    # Python's quote_plus treats it as unreserved.
    return quote_plus(value, safe="").replace("~", "%7E")


def _canonical(params: Mapping[str, str]) -> str:
    """The signed data of a redirect or notification, which is also the query string
    sent: the non-empty vnp_* parameters sorted by name, URL-encoded."""
    return "&".join(
        f"{_encode(key)}={_encode(value)}"
        for key, value in sorted(params.items())
        if key.startswith("vnp_") and key not in _NOT_SIGNED and value != ""
    )


def sign(secret: str, params: Mapping[str, str]) -> str:
    """The vnp_SecureHash of a payment URL's or notification's parameters."""
    return _hmac(secret, _canonical(params))


def _same(expected: str, given: str | None) -> bool:
    # Bytes, so that a non-ASCII forgery is just unequal rather than a TypeError.
    return given is not None and hmac.compare_digest(expected.encode(), given.lower().encode())


def verify(secret: str, params: Mapping[str, str]) -> bool:
    """Whether ``params`` carry their correct vnp_SecureHash (hex in either case)."""
    return _same(sign(secret, params), params.get(_HASH))


def sign_fields(secret: str, values: Mapping[str, str], fields: Sequence[str]) -> str:
    """The vnp_SecureHash of a merchant API message: the values of ``fields``, in
    that order, joined with "|" (absent ones as empty strings)."""
    return _hmac(secret, "|".join(values.get(field, "") for field in fields))


# ---------------------------------------------------------------- the redirect


def _plain(text: str) -> str:
    """Vietnamese without diacritics, as VNPay's specification asks of vnp_OrderInfo
    ("Tiếng Việt không dấu"), on one line and within its 255 characters."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    )
    ascii_only = stripped.encode("ascii", "ignore").decode()
    return " ".join(ascii_only.split())[:_ORDER_INFO_MAX]


def payment_url(
    config: VnpayConfig,
    *,
    txn_ref: str,
    amount_vnd: int,
    order_info: str,
    created: dt.datetime,
    expires: dt.datetime,
    client_ip: str,
    return_url: str,
    locale: Literal["vn", "en"],
    bank_code: str | None = None,
) -> str:
    """The signed URL that sends the citizen to VNPay to pay ``amount_vnd`` for the
    order ``txn_ref`` (unique per payment attempt) until ``expires``."""
    if not 0 < len(txn_ref) <= _TXN_REF_MAX:
        raise ValueError(f"vnp_TxnRef must have 1 to {_TXN_REF_MAX} characters")
    if amount_vnd <= 0:
        raise ValueError("the amount must be positive")
    if expires <= created:
        raise ValueError("the payment must expire after it is created")
    info = _plain(order_info)
    if not info:
        raise ValueError("the order information is empty once written without diacritics")
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": config.tmn_code,
        "vnp_Amount": str(amount_vnd * 100),
        "vnp_CreateDate": vnp_time(created),
        "vnp_ExpireDate": vnp_time(expires),
        "vnp_CurrCode": CURRENCY,
        "vnp_IpAddr": client_ip,
        "vnp_Locale": locale,
        "vnp_OrderInfo": info,
        "vnp_OrderType": "other",
        "vnp_ReturnUrl": return_url,
        "vnp_TxnRef": txn_ref,
    }
    if bank_code:
        params["vnp_BankCode"] = bank_code
    query = _canonical(params)
    return f"{config.pay_url}?{query}&{_HASH}={_hmac(config.hash_secret, query)}"


# ---------------------------------------------------------------- notifications


@dataclass(frozen=True, slots=True)
class Notification:
    """What VNPay reports about one payment attempt (IPN or return URL)."""

    txn_ref: str
    amount_vnd: int
    response_code: str
    transaction_status: str
    transaction_no: str  # VNPay's number for the transaction ("0" when none was made)
    bank_code: str
    pay_date: dt.datetime | None

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS and self.transaction_status == SUCCESS


def _amount_vnd(value: str, field: str = "vnp_Amount") -> int:
    """A VNPay amount (VND × 100) in VND."""
    if not _AMOUNT.fullmatch(value):
        raise MalformedNotification(f"{field} is not a non-negative integer: {value!r}")
    amount = int(value)
    if amount % 100:
        raise MalformedNotification(f"{field} is not a whole number of đồng: {value!r}")
    return amount // 100


def _date(value: str, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_vnp_time(value)
    except ValueError as exc:
        raise MalformedNotification(f"{field}: {exc}") from exc


def read_notification(config: VnpayConfig, params: Mapping[str, str]) -> Notification:
    """The payment result in an IPN's or a return URL's parameters: the signature
    first (InvalidSignature), then the fields (MalformedNotification)."""
    if not verify(config.hash_secret, params):
        raise InvalidSignature("the VNPay notification's signature is missing or wrong")
    missing = [
        field
        for field in (
            "vnp_TmnCode",
            "vnp_TxnRef",
            "vnp_Amount",
            "vnp_ResponseCode",
            "vnp_TransactionStatus",
        )
        if not params.get(field)
    ]
    if missing:
        raise MalformedNotification(f"the notification lacks {', '.join(missing)}")
    if params["vnp_TmnCode"] != config.tmn_code:
        raise MalformedNotification(
            f"the notification is for terminal {params['vnp_TmnCode']!r}, not ours"
        )
    return Notification(
        txn_ref=params["vnp_TxnRef"],
        amount_vnd=_amount_vnd(params["vnp_Amount"]),
        response_code=params["vnp_ResponseCode"],
        transaction_status=params["vnp_TransactionStatus"],
        transaction_no=params.get("vnp_TransactionNo", ""),
        bank_code=params.get("vnp_BankCode", ""),
        pay_date=_date(params.get("vnp_PayDate", ""), "vnp_PayDate"),
    )


def ipn_answer(code: str) -> dict[str, str]:
    """The JSON body answering an IPN (VNPay retries until it reads 00 or 02)."""
    return {"RspCode": code, "Message": IPN_MESSAGES[code]}


def signed_notification(config: VnpayConfig, values: dict[str, str]) -> dict[str, str]:
    """``values`` (vnp_* parameters of an IPN or return URL) with their signature,
    as the gateway sends them."""
    return {**values, _HASH: sign(config.hash_secret, values)}


# ---------------------------------------------------------------- the merchant API


@dataclass(frozen=True, slots=True)
class QueryResult:
    """VNPay's answer to querydr: the state of one payment at VNPay."""

    response_code: str  # of the query: 00 answered, 91 no such transaction, …
    transaction_status: str  # of the payment: 00 paid, 01 pending, 02 failed, …
    amount_vnd: int  # 0 when VNPay gives none (no such transaction)
    transaction_no: str
    bank_code: str
    pay_date: dt.datetime | None
    message: str
    transaction_type: str = ""  # 01 payment, 02 full refund, 03 partial refund

    @property
    def found(self) -> bool:
        return self.response_code == SUCCESS

    @property
    def succeeded(self) -> bool:
        """The payment went through (and was not reversed)."""
        return self.found and self.transaction_status == SUCCESS


@dataclass(frozen=True, slots=True)
class RefundResult:
    response_code: str  # 00 accepted, 91 no such transaction, 94 already requested, …
    transaction_status: str
    transaction_no: str
    message: str

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS


def _command(value: str | None) -> Command:
    if value == "querydr":
        return "querydr"
    if value == "refund":
        return "refund"
    raise MalformedNotification(f"unknown command {value!r}")


def check_api_request(config: VnpayConfig, body: Mapping[str, str]) -> Command:
    """At the gateway: the command of a merchant API request whose signature is
    right (InvalidSignature otherwise; MalformedNotification for an unknown
    command)."""
    command = _command(body.get("vnp_Command"))
    expected = sign_fields(config.hash_secret, body, _REQUEST_FIELDS[command])
    if not _same(expected, body.get(_HASH)):
        raise InvalidSignature(f"the {command} request's signature is missing or wrong")
    return command


def signed_api_response(
    config: VnpayConfig, command: Command, values: dict[str, str]
) -> dict[str, str]:
    """At the gateway: the response ``values`` with their signature."""
    return {**values, _HASH: sign_fields(config.hash_secret, values, _RESPONSE_FIELDS[command])}


def _text(value: Any) -> str:
    # VNPay's JSON has strings, but a number (an amount) must read as what was signed.
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


class VnpayClient:
    """The merchant API. Network and HTTP errors propagate as httpx exceptions: the
    caller tries again later."""

    def __init__(self, config: VnpayConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http

    async def query(
        self,
        *,
        txn_ref: str,
        order_info: str,
        transaction_date: dt.datetime,
        now: dt.datetime,
        client_ip: str,
    ) -> QueryResult:
        """Ask VNPay for the state of the payment ``txn_ref``, created (its
        vnp_CreateDate) at ``transaction_date``."""
        values = await self._call(
            "querydr",
            {
                "vnp_TxnRef": txn_ref,
                "vnp_OrderInfo": _plain(order_info),
                "vnp_TransactionDate": vnp_time(transaction_date),
                "vnp_CreateDate": vnp_time(now),
                "vnp_IpAddr": client_ip,
            },
        )
        amount = values.get("vnp_Amount", "")
        return QueryResult(
            response_code=values.get("vnp_ResponseCode", ""),
            transaction_status=values.get("vnp_TransactionStatus", ""),
            amount_vnd=_amount_vnd(amount) if amount else 0,
            transaction_no=values.get("vnp_TransactionNo", ""),
            bank_code=values.get("vnp_BankCode", ""),
            pay_date=_date(values.get("vnp_PayDate", ""), "vnp_PayDate"),
            message=values.get("vnp_Message", ""),
            transaction_type=values.get("vnp_TransactionType", ""),
        )

    async def refund(
        self,
        *,
        txn_ref: str,
        amount_vnd: int,
        full: bool,
        transaction_no: str,
        transaction_date: dt.datetime,
        created_by: str,
        order_info: str,
        now: dt.datetime,
        client_ip: str,
    ) -> RefundResult:
        """Ask VNPay to give back ``amount_vnd`` of the payment ``txn_ref`` (all of it
        when ``full``). ``created_by`` names the official who asked."""
        if amount_vnd <= 0:
            raise ValueError("the refund must be positive")
        values = await self._call(
            "refund",
            {
                "vnp_TransactionType": FULL_REFUND if full else PARTIAL_REFUND,
                "vnp_TxnRef": txn_ref,
                "vnp_Amount": str(amount_vnd * 100),
                "vnp_TransactionNo": transaction_no,
                "vnp_TransactionDate": vnp_time(transaction_date),
                "vnp_CreateBy": created_by,
                "vnp_CreateDate": vnp_time(now),
                "vnp_IpAddr": client_ip,
                "vnp_OrderInfo": _plain(order_info),
            },
        )
        return RefundResult(
            response_code=values.get("vnp_ResponseCode", ""),
            transaction_status=values.get("vnp_TransactionStatus", ""),
            transaction_no=values.get("vnp_TransactionNo", ""),
            message=values.get("vnp_Message", ""),
        )

    async def _call(self, command: Command, fields: dict[str, str]) -> dict[str, str]:
        """Send a signed request; the response's values once its signature is checked."""
        body = {
            # Unique per request (VNPay refuses a repeated id within a day).
            "vnp_RequestId": uuid.uuid4().hex,
            "vnp_Version": VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.config.tmn_code,
            **fields,
        }
        body[_HASH] = sign_fields(self.config.hash_secret, body, _REQUEST_FIELDS[command])
        response = await self.http.post(self.config.api_url, json=body)
        response.raise_for_status()
        try:
            data = response.json()
        except ValueError as exc:
            raise InvalidSignature(f"the {command} response is not JSON") from exc
        if not isinstance(data, dict):
            raise InvalidSignature(f"the {command} response is not a JSON object")
        values = {str(key): _text(value) for key, value in data.items()}
        expected = sign_fields(self.config.hash_secret, values, _RESPONSE_FIELDS[command])
        if not _same(expected, values.get(_HASH)):
            raise InvalidSignature(
                f"the {command} response's signature is missing or wrong "
                f"(vnp_ResponseCode {values.get('vnp_ResponseCode', '')!r})"
            )
        # A genuine response to another request (replayed) must not pass for ours.
        if values.get("vnp_Command", command) != command or (
            values.get("vnp_TxnRef") and values["vnp_TxnRef"] != fields["vnp_TxnRef"]
        ):
            raise MalformedNotification(f"the {command} response is about another request")
        if values.get("vnp_TmnCode") and values["vnp_TmnCode"] != self.config.tmn_code:
            raise MalformedNotification(f"the {command} response is for another terminal")
        return values
