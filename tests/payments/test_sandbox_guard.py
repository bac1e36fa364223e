"""The demo gateway never beside a real one (issue 15, sweep 8): its "success" button
would mark fees paid as if real money had come in through VNPay or VietQR."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar

from backend.app import create_app
from backend.settings import Settings
from tests.conftest import make_settings
from tests.support.asgi import client_for

VNPAY = {"MOTCUA_VNPAY_TMN_CODE": "MOTCUA99", "MOTCUA_VNPAY_HASH_SECRET": "S" * 32}
VIETQR = {
    "MOTCUA_VIETQR_BANK_BIN": "970436",
    "MOTCUA_VIETQR_ACCOUNT": "0011001234567",
    "MOTCUA_VIETQR_WEBHOOK_SECRET": "w" * 40,
}


@pytest.mark.parametrize("real", [VNPAY, VIETQR], ids=["vnpay", "vietqr"])
async def test_a_real_gateway_turns_the_sandbox_off(
    tmp_path: Path, database: object, real: dict[str, str]
) -> None:
    settings = await make_settings(tmp_path, "sandbox_guard", **real)
    assert settings.demo and not settings.sandbox_payments
    app = create_app(settings)
    async with client_for(app) as client:
        gateway = await client.get("/cong-thanh-toan-thu/vpcpay")
        assert gateway.status_code == 404
        assert "sandbox" not in _gateways(app)


async def test_the_sandbox_stays_for_a_demo_without_gateways(
    settings: Settings, database: object
) -> None:
    assert settings.demo and settings.sandbox_payments
    app = create_app(settings)
    async with client_for(app) as client:
        assert (await client.get("/cong-thanh-toan-thu/vpcpay")).status_code != 404
        assert "sandbox" in _gateways(app)


def _gateways(app: Litestar) -> set[str]:
    return set(app.state["payments"].gateways)
