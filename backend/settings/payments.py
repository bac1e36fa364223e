"""The payment gateways (VNPay, VietQR) and the fee reminders."""

from __future__ import annotations

from collections.abc import Mapping

from backend.settings.parse import SettingsError, all_or_none, gateway_url

# VNPay's test environment: a merchant's own sandbox account works against these.
VNPAY_SANDBOX_PAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
VNPAY_SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"


def vnpay_settings(env: Mapping[str, str], environment: str) -> dict[str, str]:
    tmn_code, hash_secret = all_or_none(env, ("MOTCUA_VNPAY_TMN_CODE", "MOTCUA_VNPAY_HASH_SECRET"))
    if tmn_code and not (tmn_code.isalnum() and len(tmn_code) <= 16):
        raise SettingsError("MOTCUA_VNPAY_TMN_CODE", "must be the terminal code VNPay gave")
    return {
        "vnpay_tmn_code": tmn_code,
        "vnpay_hash_secret": hash_secret,
        "vnpay_pay_url": gateway_url(
            env, "MOTCUA_VNPAY_PAY_URL", VNPAY_SANDBOX_PAY_URL, environment
        ),
        "vnpay_api_url": gateway_url(
            env, "MOTCUA_VNPAY_API_URL", VNPAY_SANDBOX_API_URL, environment
        ),
    }


def vietqr_settings(env: Mapping[str, str]) -> dict[str, str]:
    names = ("MOTCUA_VIETQR_BANK_BIN", "MOTCUA_VIETQR_ACCOUNT", "MOTCUA_VIETQR_WEBHOOK_SECRET")
    bank_bin, account, secret = all_or_none(env, names)
    if bank_bin and not (bank_bin.isdigit() and len(bank_bin) == 6):
        raise SettingsError("MOTCUA_VIETQR_BANK_BIN", "must be the bank's 6-digit NAPAS BIN")
    if account and not (account.isalnum() and len(account) <= 19):
        raise SettingsError(
            "MOTCUA_VIETQR_ACCOUNT", "must be an account number (1-19 letters, digits)"
        )
    if secret and len(secret) < 32:
        raise SettingsError("MOTCUA_VIETQR_WEBHOOK_SECRET", "must be at least 32 characters long")
    holder = " ".join(env.get("MOTCUA_VIETQR_ACCOUNT_NAME", "").split())
    if holder and not bank_bin:
        raise SettingsError("MOTCUA_VIETQR_ACCOUNT_NAME", "needs MOTCUA_VIETQR_BANK_BIN too")
    if len(holder) > 70 or not holder.isprintable():
        raise SettingsError("MOTCUA_VIETQR_ACCOUNT_NAME", "must be at most 70 printable characters")
    return {
        "vietqr_bank_bin": bank_bin,
        "vietqr_account": account,
        "vietqr_webhook_secret": secret,
        "vietqr_account_name": holder,
    }


def fee_reminder_days(env: Mapping[str, str]) -> tuple[int, ...]:
    """Working days after submission, rising: "1,5"; "" for no reminder."""
    name = "MOTCUA_FEE_REMINDER_DAYS"
    raw = env.get(name)
    if raw is None:
        return (1, 5)
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise SettingsError(name, "must be whole numbers of working days, e.g. 1,5")
    days = tuple(int(part) for part in parts)
    if len(days) > 5 or any(not 1 <= day <= 60 for day in days) or list(days) != sorted(set(days)):
        raise SettingsError(name, "must be at most five rising numbers from 1 to 60, e.g. 1,5")
    return days
