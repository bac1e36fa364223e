"""The names of the ways to pay and of the gateways' refusals, as people read them
(on the pages, and in Vietnamese on the receipt)."""

from __future__ import annotations

from backend.i18n import N_, Text

PROVIDER_LABELS: dict[str, Text] = {
    "vnpay": N_("VNPay"),
    "vietqr": N_("Chuyển khoản VietQR"),
    "sandbox": N_("Cổng thanh toán thử nghiệm"),
    "cash": N_("Tiền mặt tại quầy"),
}
# VNPay's response codes a person may meet, in plain words (others: a general one).
FAILURES: dict[str, Text] = {
    "24": N_("Bạn đã hủy thanh toán."),
    "51": N_("Tài khoản không đủ số dư để thanh toán."),
    "11": N_("Đã hết thời gian chờ thanh toán."),
    "12": N_("Thẻ hoặc tài khoản đang bị khóa."),
    "13": N_("Mã xác thực (OTP) không đúng."),
    "65": N_("Tài khoản đã vượt hạn mức giao dịch trong ngày."),
    "75": N_("Ngân hàng đang bảo trì."),
    "79": N_("Nhập sai mật khẩu thanh toán quá số lần quy định."),
}


def provider_label(provider: str) -> Text:
    return PROVIDER_LABELS.get(provider) or Text(provider)


def failure_text(code: str | None) -> Text | None:
    """Why a gateway refused a payment; None when it did not."""
    if not code or code == "00":
        return None
    return FAILURES.get(code) or N_(
        "Ngân hàng hoặc cổng thanh toán từ chối giao dịch (mã %(code)s).", code=code
    )
