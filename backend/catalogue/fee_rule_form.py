"""The administrators' form of one fee rule: its inputs as typed (to show again after a
refusal) and their conversion into the rule the service checks. Plain HTML: selects,
number and date inputs, and one checkbox per channel. The form converts what only it
knows (numbers and dates typed as text, the line shown from 1); whether the rule fits
its procedure is the service's to say (``transfer.checks.rule_problems``)."""

from __future__ import annotations

from typing import Any

from backend.catalogue.schemas import DemoFeeRule, FeeRuleRead
from backend.errors import Problems
from backend.i18n import N_, Text, parse_date
from backend.web.forms import text, texts

TEXT_INPUTS = (
    "position", "agency_code", "amount", "percent", "valid_from", "valid_to", "group",
    "label_vi", "label_en", "basis",
)  # fmt: skip
CHANNEL_LABELS: dict[str, Text] = {
    "online": N_("Nộp trực tuyến"),
    "counter": N_("Nộp tại quầy"),
    "post": N_("Nộp qua bưu chính"),
    "assisted": N_("Tổ lưu động (cán bộ nộp giúp tại nhà)"),
}
LABELS: dict[str, Text] = {
    "position": N_("Khoản thu"),
    "agency_code": N_("Cơ quan"),
    "amount": N_("Mức thu riêng của cơ quan (đồng)"),
    "percent": N_("Tỷ lệ giảm (%)"),
    "channels": N_("Kênh nộp"),
    "valid_from": N_("Áp dụng từ ngày"),
    "valid_to": N_("Đến hết ngày"),
    "group": N_("Nhóm đối tượng"),
    "label_vi": N_("Lý do (tiếng Việt)"),
    "label_en": N_("Lý do (tiếng Anh)"),
    "basis": N_("Căn cứ pháp lý"),
}


def blank() -> dict[str, Any]:
    return {**dict.fromkeys(TEXT_INPUTS, ""), "channels": []}


def values_of(rule: FeeRuleRead) -> dict[str, Any]:
    """A stored rule as the form shows it (the line from 1, dates as a date input's)."""
    return {
        "position": "" if rule.position is None else str(rule.position + 1),
        "agency_code": rule.agency_code,
        "amount": "" if rule.amount is None else str(rule.amount),
        "percent": "" if rule.percent is None else str(rule.percent),
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else "",
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else "",
        "group": rule.group,
        "label_vi": rule.label_vi,
        "label_en": rule.label_en,
        "basis": rule.basis,
        "channels": list(rule.channels),
    }


def read(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name, 2000, strip=True) for name in TEXT_INPUTS}
    values["channels"] = texts(form, "channels", limit=len(CHANNEL_LABELS) + 1)
    return values


def _problem(problems: Problems, name: str, message: Text) -> None:
    problems.add(name, N_("%(label)s: %(problem)s", label=LABELS[name], problem=message))


def _whole(problems: Problems, values: dict[str, Any], name: str) -> int | None:
    typed: str = values[name]
    if not typed:
        return None
    if typed.isascii() and typed.isdigit() and len(typed) <= 12:
        return int(typed)
    _problem(problems, name, N_("phải là một số nguyên không âm."))
    return None


def rule_of(values: dict[str, Any], problems: Problems) -> DemoFeeRule:
    """The rule the form describes; what does not convert is added to ``problems``."""
    position = _whole(problems, values, "position")
    days = {}
    for name in ("valid_from", "valid_to"):
        days[name] = parse_date(values[name]) if values[name] else None
        if values[name] and days[name] is None:
            _problem(problems, name, N_("hãy nhập một ngày, ví dụ 24/06/2025."))
    return DemoFeeRule(
        position=None if position is None else position - 1,
        agency_code=values["agency_code"],
        amount=_whole(problems, values, "amount"),
        percent=_whole(problems, values, "percent"),
        channels=list(values["channels"]),
        valid_from=days["valid_from"],
        valid_to=days["valid_to"],
        group=values["group"],
        label_vi=values["label_vi"],
        label_en=values["label_en"],
        basis=values["basis"],
    )
