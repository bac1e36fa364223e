"""Checks of what people type: names, Vietnamese mobile numbers, citizen ID numbers,
e-mail addresses and tax codes. Each raises InvalidInput naming the field, in
Vietnamese and English, or returns the normalised value."""

from __future__ import annotations

import re

from backend.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# Weights of the tax code's check digit over its first nine digits.
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def full_name(value: str, field: str = "full_name") -> str:
    name = " ".join(value.split())
    if not 2 <= len(name) <= 100 or any(ord(char) < 32 for char in name):
        raise InvalidInput(
            "Họ và tên phải có từ 2 đến 100 ký tự.",
            "The full name must be 2 to 100 characters long.",
            field=field,
        )
    return name


def phone(value: str, field: str = "phone") -> str:
    """A Vietnamese mobile number: 0 or +84 then 9 digits starting 3, 5, 7, 8 or 9;
    returned as 0XXXXXXXXX."""
    digits = _SEPARATORS.sub("", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise InvalidInput(
            "Số điện thoại di động không hợp lệ. Ví dụ: 0912 345 678.",
            "This is not a valid Vietnamese mobile number. Example: 0912 345 678.",
            field=field,
        )
    return digits


def citizen_id(value: str, field: str = "citizen_id") -> str:
    """A citizen ID (CCCD) number: 12 digits, the first three a province code 001–096.
    Checked by format only: the number has no check digit."""
    digits = _SEPARATORS.sub("", value)
    if not (re.fullmatch(r"\d{12}", digits) and 1 <= int(digits[:3]) <= 96):
        raise InvalidInput(
            "Số căn cước công dân phải có 12 chữ số, bắt đầu bằng mã tỉnh (001–096).",
            "The citizen ID number must have 12 digits, starting with a province code (001–096).",
            field=field,
        )
    return digits


def email(value: str, field: str = "email") -> str:
    address = value.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise InvalidInput(
            "Địa chỉ thư điện tử không hợp lệ. Ví dụ: ten@example.vn.",
            "This e-mail address is not valid. Example: name@example.vn.",
            field=field,
        )
    return address


def tax_code_check_digit(first_nine: str) -> int | None:
    """The tenth digit of a tax code, or None when the rule gives 10 (no valid code)."""
    total = sum(weight * int(digit) for weight, digit in zip(TAX_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def tax_code(value: str, field: str = "tax_code") -> str:
    """A tax code (mã số thuế): 10 digits whose last is a check digit, or those 10 and a
    3-digit branch number (001–999), with or without a dash. Returned without the dash."""
    compact = re.sub(r"[\s.]", "", value)
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", compact)
    problem: tuple[str, str] | None = None
    if match is None:
        problem = (
            "Mã số thuế phải có 10 chữ số, hoặc 13 chữ số cho chi nhánh (ví dụ 0100233488-001).",
            "A tax code has 10 digits, or 13 for a branch (for example 0100233488-001).",
        )
    else:
        head, branch = match.group(1), match.group(2)
        if head[2:9] == "0000000" or branch == "000":
            problem = ("Mã số thuế không hợp lệ.", "This tax code is not valid.")
        elif tax_code_check_digit(head[:9]) != int(head[9]):
            problem = (
                "Mã số thuế không đúng (chữ số kiểm tra không khớp). Vui lòng kiểm tra lại.",
                "This tax code is not right (its check digit does not match). Please check it.",
            )
    if problem or match is None:
        vi, en = problem or ("", "")
        raise InvalidInput(vi, en, field=field)
    return match.group(1) + (match.group(2) or "")


def optional_text(value: str, *, field: str, low: int, high: int, vi: str, en: str) -> str:
    text = " ".join(value.split())
    if not low <= len(text) <= high:
        raise InvalidInput(
            f"{vi} phải có từ {low} đến {high} ký tự.",
            f"{en} must be {low} to {high} characters long.",
            field=field,
        )
    return text
