"""The payments JSON API: quotes and orders for citizens, the gateways' signed
callbacks, cash and refunds for officials, and the public receipt check. Thin: every
rule lives in the service."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts.guards import Principal, client_of, require_signed_in, require_staff
from backend.payments import service
from backend.payments.runtime import runtime_of
from backend.payments.schemas import (
    DossierPayments,
    ExcessRead,
    ExcessRefundIn,
    PaymentRead,
    PaymentStart,
    Quote,
    QuoteIn,
    ReceiptRead,
    RefundIn,
    TransferRecorded,
)
from backend.web.templates import language

REFERENCE = PathParameter(max_length=16, pattern=r"^[A-Z0-9]+$")
# Checked by the service (a bilingual refusal naming it), not here.
IDEMPOTENCY_KEY = HeaderParameter(
    name=service.IDEMPOTENCY_HEADER,
    description=(
        "1 to 255 printable ASCII characters (a UUID, say). The same key with the same"
        " request answers the order it made (201, the same reference); with another"
        " request, 422."
    ),
)
# Paths a gateway calls: no cookie, no CSRF token; the signature is their proof.
IPN_PATH = "/api/payments/vnpay/ipn"
WEBHOOK_PATH = "/api/payments/vietqr/webhook"
# A bank's notification is small; anything larger is not one.
WEBHOOK_BODY_LIMIT = 16 * 1024


class PaymentApi(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @post(
        "/quote",
        operation_id="quotePayment",
        summary="What paying these dossiers costs, computed on the server",
        guards=[require_signed_in],
        status_code=HTTP_200_OK,
    )
    async def quote(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[QuoteIn],
    ) -> Quote:
        return await service.quote(runtime_of(request), principal, data.dossier_ids)

    @post(
        "/",
        operation_id="startPayment",
        summary="Make an order for dossiers' fees; answers where to pay it",
        guards=[require_signed_in],
        status_code=HTTP_201_CREATED,
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[PaymentStart],
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> PaymentRead:
        return await service.start(
            runtime_of(request),
            principal,
            data,
            client_ip=client_of(request).address,
            lang=language(request),
            idempotency_key=idempotency_key,
        )

    @get(IPN_PATH.removeprefix(path), operation_id="vnpayIpn", summary="VNPay's IPN")
    async def vnpay_ipn(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        params = {key: value for key, value in request.query_params.items() if len(key) <= 40}
        return await service.vnpay_ipn(runtime_of(request), params)

    @post(
        WEBHOOK_PATH.removeprefix(path),
        operation_id="vietqrWebhook",
        summary="A bank's notification of a transfer (HMAC-SHA256 of the body in X-Signature)",
        request_max_body_size=WEBHOOK_BODY_LIMIT,
        status_code=HTTP_200_OK,
    )
    async def vietqr_webhook(self, request: Request[Any, Any, Any]) -> TransferRecorded:
        body = await request.body()
        return await service.vietqr_webhook(
            runtime_of(request), body, request.headers.get("x-signature")
        )

    @get(
        "/refunds",
        operation_id="refundQueue",
        summary="Money paid in excess, still to be refunded by the official's agency",
        guards=[require_staff("reception", "leader")],
    )
    async def refund_queue(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[list[ExcessRead]]:
        queue = await service.refund_queue(runtime_of(request), principal)
        return Response(queue, headers={"Cache-Control": "no-store"})

    @post(
        "/refunds/{capture_id:int}",
        operation_id="refundExcess",
        summary="Refund (part of) captured money's excess, by its gateway or by hand",
        guards=[require_staff("reception", "leader")],
        status_code=HTTP_200_OK,
    )
    async def refund_excess(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        capture_id: FromPath[int],
        data: JSONBody[ExcessRefundIn],
    ) -> ExcessRead:
        return await service.refund_excess(runtime_of(request), principal, capture_id, data)

    @get(
        "/{reference:str}",
        operation_id="getPayment",
        summary="A payment and its state",
        guards=[require_signed_in],
    )
    async def get_payment(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Response[PaymentRead]:
        payment = await service.get_payment(
            runtime_of(request), principal, reference, language(request)
        )
        # Polled while "processing": never from a cache.
        return Response(payment, headers={"Cache-Control": "no-store"})

    @get(
        "/{reference:str}/receipt",
        operation_id="getPaymentReceipt",
        summary="The payer's electronic receipt",
        guards=[require_signed_in],
    )
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> ReceiptRead:
        return await service.receipt_of(
            runtime_of(request), principal, reference, language(request)
        )


class DossierPaymentApi(Controller):
    tags = ["payments"]

    @get(
        "/api/dossiers/{dossier_id:int}/payments",
        operation_id="dossierPayments",
        summary="A dossier's fees, payments and refunds",
        guards=[require_signed_in],
    )
    async def of_dossier(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> DossierPayments:
        return await service.dossier_payments(
            runtime_of(request), principal, dossier_id, language(request)
        )

    @post(
        "/api/staff/dossiers/{dossier_id:int}/cash",
        operation_id="recordCash",
        summary="Record the fees taken in cash at the counter",
        guards=[require_staff("reception", "leader")],
        status_code=HTTP_200_OK,
    )
    async def cash(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> DossierPayments:
        return await service.record_cash(
            runtime_of(request), principal, dossier_id, language(request)
        )

    @post(
        "/api/staff/dossiers/{dossier_id:int}/refunds",
        operation_id="refundFees",
        summary="Refund a refused or withdrawn dossier's fees",
        guards=[require_staff("reception", "leader")],
        status_code=HTTP_200_OK,
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: JSONBody[RefundIn],
    ) -> DossierPayments:
        return await service.refund(
            runtime_of(request), principal, dossier_id, data, language(request)
        )

    @get(
        "/api/receipts/{receipt_id:int}",
        operation_id="verifyReceipt",
        summary="Check a receipt is genuine (the signed link of its QR code)",
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        receipt_id: FromPath[int],
        k: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> ReceiptRead:
        return await service.verify_receipt(runtime_of(request), receipt_id, k, language(request))


class ReconciliationApi(Controller):
    tags = ["payments"]

    @get(
        "/api/payments/reconciliation",
        operation_id="paymentsReconciliation",
        summary="The money each merchant account took on a Vietnamese calendar day (or"
        " through `to`, at most 31 days), per agency, line by line, with the refunds done",
        guards=[require_signed_in],
    )
    async def reconciliation(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        day: Annotated[str, QueryParameter(max_length=40)] = "",
        to: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Response[service.Reconciliation]:
        report = await service.reconciliation(runtime_of(request), principal, day, to)
        return Response(report, headers={"Cache-Control": "private, no-store"})


PAYMENT_API = [PaymentApi, DossierPaymentApi, ReconciliationApi]
