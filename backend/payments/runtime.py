"""The payments domain's configuration for one app or worker process: the gateways
on offer, their HTTP clients, the order lifetime and the clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar.connection import ASGIConnection

from backend.clock import epoch_ms, utc_now
from backend.payments.gateways import Gateway, VietqrConfig, VietqrGateway, VnpayGateway
from backend.payments.gateways.vnpay import VnpayClient, VnpayConfig
from backend.settings import Settings
from backend.signing.service import SigningRuntime

SANDBOX_PATH = "/cong-thanh-toan-thu"
SANDBOX_TMN_CODE = "MOTCUA01"


def sandbox_config(public_url: str, secret_key: str) -> VnpayConfig:
    """The demo gateway's merchant account: its secret derives from the app's, so
    nothing more needs configuring and nobody outside knows it."""
    secret = hmac.new(secret_key.encode(), b"motcua-sandbox-vnpay", hashlib.sha256).hexdigest()
    return VnpayConfig(
        tmn_code=SANDBOX_TMN_CODE,
        hash_secret=secret[:32].upper(),
        pay_url=f"{public_url}{SANDBOX_PATH}/vpcpay",
        api_url=f"{public_url}{SANDBOX_PATH}/api/transaction",
    )


@dataclass(slots=True)
class PaymentsRuntime:
    public_url: str
    secret_key: str
    province_name: str
    lifetime: dt.timedelta
    vnpay: VnpayConfig | None
    sandbox: VnpayConfig | None
    vietqr: VietqrConfig | None
    timeout_s: float = 15.0
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # Built when the app (or worker) starts: they need HTTP clients.
    gateways: dict[str, Gateway] = field(default_factory=dict)
    # The demo gateway's way to call our IPN, as VNPay's servers would.
    sandbox_http: httpx.AsyncClient | None = None
    # The agencies whose officials reconcile every agency's takings (the province's
    # service centre): the statistics' rule, handed over by the composition root.
    province_wide: frozenset[str] = frozenset()
    # The agencies' keys, which seal the receipts (issue 17); none in a worker process,
    # which renders no receipt.
    signing: SigningRuntime | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, province_wide: frozenset[str] = frozenset()
    ) -> PaymentsRuntime:
        vnpay = None
        if settings.vnpay_tmn_code:
            vnpay = VnpayConfig(
                tmn_code=settings.vnpay_tmn_code,
                hash_secret=settings.vnpay_hash_secret,
                pay_url=settings.vnpay_pay_url,
                api_url=settings.vnpay_api_url,
            )
        vietqr = None
        if settings.vietqr_bank_bin:
            vietqr = VietqrConfig(
                bank_bin=settings.vietqr_bank_bin,
                account=settings.vietqr_account,
                webhook_secret=settings.vietqr_webhook_secret,
                account_name=settings.vietqr_account_name,
            )
        return cls(
            public_url=settings.public_url,
            secret_key=settings.secret_key,
            province_name=settings.province_name,
            lifetime=dt.timedelta(minutes=settings.payment_expiry_minutes),
            vnpay=vnpay,
            sandbox=sandbox_config(settings.public_url, settings.secret_key)
            if settings.sandbox_payments
            else None,
            vietqr=vietqr,
            province_wide=province_wide,
        )

    def now_ms(self) -> int:
        return epoch_ms(self.now)

    @contextlib.asynccontextmanager
    async def connected(self, app: Any = None) -> AsyncIterator[None]:
        """Open the gateways' HTTP clients. Given the app, the sandbox gateway reaches
        it in-process (its API and IPN calls cross the whole ASGI stack, no socket);
        a worker process reaches it at the public address."""
        async with contextlib.AsyncExitStack() as stack:
            timeout = httpx.Timeout(self.timeout_s)
            if self.vnpay is not None:
                http = await stack.enter_async_context(httpx.AsyncClient(timeout=timeout))
                self.gateways["vnpay"] = VnpayGateway(
                    "vnpay", self.vnpay, VnpayClient(self.vnpay, http)
                )
            if self.vietqr is not None:
                self.gateways["vietqr"] = VietqrGateway(self.vietqr)
            if self.sandbox is not None:
                transport = httpx.ASGITransport(app=app) if app is not None else None
                own = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=transport, base_url=self.public_url, timeout=timeout
                    )
                )
                self.gateways["sandbox"] = VnpayGateway(
                    "sandbox", self.sandbox, VnpayClient(self.sandbox, own)
                )
                self.sandbox_http = own
            try:
                yield
            finally:
                self.gateways.clear()
                self.sandbox_http = None

    def lifespan(self, app: Any) -> contextlib.AbstractAsyncContextManager[None]:
        return self.connected(app)


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> PaymentsRuntime:
    runtime: PaymentsRuntime = connection.app.state["payments"]
    return runtime
