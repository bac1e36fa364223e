"""The sandbox gateway: a payment gateway served by Một Cửa itself, in demo mode
only, so the whole journey works with no internet.

It speaks VNPay's protocol 2.1.0 from the gateway's side, to our own endpoints: it
checks the signed redirect, shows the order with the outcomes a tester may choose
(success, cancelled by the person, insufficient funds), records the transaction in
its own books, calls our IPN server-to-server (unless told to lose it, to show
reconciliation at work), then sends the browser to the return URL with signed
parameters. Its merchant API answers ``querydr`` and ``refund`` the way VNPay does.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_303_SEE_OTHER

from backend.db import fetch, write_transaction
from backend.payments.gateways import vnpay
from backend.payments.runtime import SANDBOX_PATH, PaymentsRuntime, runtime_of
from backend.payments.tables import SandboxTransaction
from backend.web.templates import page

logger = logging.getLogger("motcua.sandbox")

API_PATH = f"{SANDBOX_PATH}/api/transaction"
# The outcomes a tester chooses: (response code, transaction status).
OUTCOMES: dict[str, tuple[str, str]] = {
    "success": ("00", "00"),
    "cancel": ("24", "02"),
    "no_funds": ("51", "02"),
}
_FIELDS = 40  # a redirect has about 14 vnp_* fields


class _Booked(msgspec.Struct):
    """A transaction in the sandbox's books."""

    id: int
    transaction_no: str
    amount: int
    transaction_status: str
    bank_code: str
    pay_date: str


_BOOKED = (
    "SELECT id, transaction_no, amount, transaction_status, bank_code, pay_date"
    " FROM payments_sandbox WHERE txn_ref = {}"
)


def _config(runtime: PaymentsRuntime) -> vnpay.VnpayConfig:
    assert runtime.sandbox is not None  # the handlers are registered in demo mode only
    return runtime.sandbox


def _order_of(
    runtime: PaymentsRuntime, params: dict[str, str]
) -> tuple[dict[str, str], str | None]:
    """The signed order of a redirect, and what is wrong with it (None if nothing)."""
    config = _config(runtime)
    if not vnpay.verify(config.hash_secret, params):
        return params, "97"
    if params.get("vnp_TmnCode") != config.tmn_code or params.get("vnp_Command") != "pay":
        return params, "02"
    if not params.get("vnp_ReturnUrl", "").startswith(f"{runtime.public_url}/"):
        return params, "03"  # never send a browser elsewhere than the merchant's site
    try:
        expires = vnpay.parse_vnp_time(params.get("vnp_ExpireDate", ""))
        int(params["vnp_Amount"])
    except (KeyError, ValueError):
        return params, "03"
    if expires < runtime.now():
        return params, "11"  # VNPay: the payment window has expired
    return params, None


def _vnp_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {
        key: value
        for key, value in list(request.query_params.items())[:_FIELDS]
        if key.startswith("vnp_")
    }


class SandboxGateway(Controller):
    path = SANDBOX_PATH
    tags = ["sandbox"]
    include_in_schema = False

    @get("/vpcpay", name="sandbox-pay")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        params, problem = _order_of(runtime_of(request), _vnp_params(request))
        template = page(
            request,
            "payments/sandbox.html",
            400 if problem else 200,
            params=params,
            problem=problem,
            amount=int(params.get("vnp_Amount", "0") or 0) // 100 if not problem else 0,
        )
        template.headers["Cache-Control"] = "no-store"
        return template

    @post("/vpcpay", status_code=HTTP_303_SEE_OTHER)
    async def pay(self, request: Request[Any, Any, Any]) -> Redirect | Template:
        runtime = runtime_of(request)
        form = await request.form()
        params = {
            key: str(value) for key, value in list(form.items())[:_FIELDS] if key.startswith("vnp_")
        }
        params, problem = _order_of(runtime, params)
        outcome = str(form.get("outcome", ""))
        if problem or outcome not in OUTCOMES:
            return page(
                request,
                "payments/sandbox.html",
                400,
                params=params,
                problem=problem or "03",
                amount=0,
            )
        code, status = OUTCOMES[outcome]
        now = runtime.now()
        transaction_no = f"{secrets.randbelow(10**8):08d}"
        result = {
            "vnp_TmnCode": params["vnp_TmnCode"],
            "vnp_Amount": params["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": f"VNP{transaction_no}",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": params.get("vnp_OrderInfo", ""),
            "vnp_PayDate": vnpay.vnp_time(now),
            "vnp_ResponseCode": code,
            "vnp_TransactionNo": transaction_no,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": params["vnp_TxnRef"],
        }
        async with write_transaction():
            inserted = (
                await SandboxTransaction.insert(
                    SandboxTransaction(
                        txn_ref=params["vnp_TxnRef"],
                        transaction_no=transaction_no,
                        amount=int(params["vnp_Amount"]) // 100,
                        response_code=code,
                        transaction_status=status,
                        pay_date=result["vnp_PayDate"],
                    )
                )
                .on_conflict(target=SandboxTransaction.txn_ref, action="DO NOTHING")
                .returning(SandboxTransaction.id)
            )
        if not inserted:
            return page(
                request, "payments/sandbox.html", 409, params=params, problem="94", amount=0
            )
        signed = vnpay.signed_notification(_config(runtime), result)
        if not form.get("lose_ipn"):
            await _send_ipn(runtime, signed)
        return Redirect(
            f"{params['vnp_ReturnUrl']}?{urlencode(signed)}", status_code=HTTP_303_SEE_OTHER
        )

    @post("/api/transaction", status_code=HTTP_200_OK)
    async def api(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        runtime = runtime_of(request)
        config = _config(runtime)
        try:
            body = {str(k): str(v) for k, v in dict(await request.json()).items()}
            command = vnpay.check_api_request(config, body)
        except vnpay.InvalidSignature:
            return Response({"vnp_ResponseCode": "97", "vnp_Message": "Invalid signature"})
        except (vnpay.MalformedNotification, ValueError, TypeError):
            return Response({"vnp_ResponseCode": "03", "vnp_Message": "Invalid request"})
        rows = msgspec.convert(await fetch(_BOOKED, body.get("vnp_TxnRef", "")), list[_Booked])
        row = rows[0] if rows else None
        if command == "querydr":
            values = _query_answer(config, body, row)
        else:
            values = await _refund(config, body, row)
        return Response(vnpay.signed_api_response(config, command, values))


def _answer(
    config: vnpay.VnpayConfig,
    body: dict[str, str],
    command: Literal["querydr", "refund"],
    code: str,
    row: _Booked | None,
    **values: str,
) -> dict[str, str]:
    return {
        "vnp_ResponseId": uuid.uuid4().hex,
        "vnp_Command": command,
        "vnp_ResponseCode": code,
        "vnp_Message": "Success" if code == "00" else "Error",
        "vnp_TmnCode": config.tmn_code,
        "vnp_TxnRef": body.get("vnp_TxnRef", ""),
        "vnp_Amount": str(row.amount * 100) if row else "",
        "vnp_BankCode": row.bank_code if row else "",
        "vnp_PayDate": row.pay_date if row else "",
        "vnp_TransactionNo": row.transaction_no if row else "",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": row.transaction_status if row else "",
        "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
        **values,
    }


def _query_answer(
    config: vnpay.VnpayConfig, body: dict[str, str], row: _Booked | None
) -> dict[str, str]:
    return _answer(
        config,
        body,
        "querydr",
        "00" if row else "91",
        row,
        vnp_PromotionCode="",
        vnp_PromotionAmount="",
    )


async def _refund(
    config: vnpay.VnpayConfig, body: dict[str, str], row: _Booked | None
) -> dict[str, str]:
    if row is None:
        return _answer(config, body, "refund", "91", row)
    if row.transaction_status != "00":
        return _answer(config, body, "refund", "95", row)  # VNPay: not a paid transaction
    try:
        amount = int(body.get("vnp_Amount", "")) // 100
    except ValueError:
        return _answer(config, body, "refund", "03", row)
    async with write_transaction():
        updated = await fetch(
            "UPDATE payments_sandbox SET refunded = refunded + {}"
            " WHERE id = {} AND refunded + {} <= amount RETURNING id",
            amount,
            row.id,
            amount,
        )
    if amount <= 0 or not updated:
        return _answer(config, body, "refund", "03", row)
    return _answer(
        config, body, "refund", "00", row, vnp_TransactionType=body.get("vnp_TransactionType", "02")
    )


async def _send_ipn(runtime: PaymentsRuntime, signed: dict[str, str]) -> None:
    """Call the merchant's IPN as VNPay's servers do; a failure is only logged (the
    merchant's reconciliation asks later)."""
    http = runtime.sandbox_http
    if http is None:
        return
    try:
        answer = await http.get("/api/payments/vnpay/ipn", params=signed)
        logger.info("sandbox IPN answered", extra={"fields": {"answer": answer.json()}})
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("sandbox IPN failed", extra={"fields": {"error": type(error).__name__}})


SANDBOX_HANDLERS = [SandboxGateway]
