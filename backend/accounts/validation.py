"""Checks of what people type: names, Vietnamese mobile numbers, citizen ID numbers,
e-mail addresses and tax codes (a household business's is its owner's personal ID).
Each raises InvalidInput naming the field, or returns the normalised value;
``noted`` lets a form's checks all run, so that every field's problem is reported at
once."""

from __future__ import annotations

import re

from backend.clock import utc_now
from backend.errors import InvalidInput
from backend.i18n import N_, Translatable
from backend.vietnam import in_vietnam

_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# Weights of the tax code's check digit over its first nine digits.
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def full_name(value: str, field: str = "full_name") -> str:
    name = " ".join(value.split())
    if not 2 <= len(name) <= 100 or any(ord(char) < 32 for char in name):
        raise InvalidInput(N_("Họ và tên phải có từ 2 đến 100 ký tự."), field=field)
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
            N_("Số điện thoại di động không hợp lệ. Ví dụ: 0912 345 678."), field=field
        )
    return digits


def citizen_id(value: str, field: str = "citizen_id") -> str:
    """A citizen ID (CCCD) number: 12 digits, the first three a province code 001–096.
    Checked by format only: the number has no check digit."""
    digits = _SEPARATORS.sub("", value)
    if not (re.fullmatch(r"\d{12}", digits) and 1 <= int(digits[:3]) <= 96):
        raise InvalidInput(
            N_("Số căn cước công dân phải có 12 chữ số, bắt đầu bằng mã tỉnh (001–096)."),
            field=field,
        )
    return digits


def email(value: str, field: str = "email") -> str:
    address = value.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise InvalidInput(
            N_("Địa chỉ thư điện tử không hợp lệ. Ví dụ: ten@example.vn."), field=field
        )
    return address


def tax_code_check_digit(first_nine: str) -> int | None:
    """The tenth digit of a tax code, or None when the rule gives 10 (no valid code)."""
    total = sum(weight * int(digit) for weight, digit in zip(TAX_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def tax_code(value: str, field: str = "tax_code", *, year: int | None = None) -> str:
    """A tax code (mã số thuế): 10 digits whose last is a check digit, or those 10 and a
    3-digit branch number (001–999), with or without a dash; or, for a household
    business or an individual, the 12-digit personal identification number that is
    their tax code since 1 July 2025 (``personal_id_tax_code``). Returned without the
    dash. ``year``: this year in Vietnam (a birth year after it is refused)."""
    compact = re.sub(r"[\s.]", "", value)
    if re.fullmatch(r"\d{12}", compact):
        return personal_id_tax_code(compact, field, year=year)
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", compact)
    if match is None:
        raise InvalidInput(
            N_(
                "Mã số thuế gồm 10 chữ số, 13 chữ số cho đơn vị phụ thuộc (ví dụ "
                "0100233488-001), hoặc 12 chữ số (số định danh cá nhân) cho hộ kinh doanh, "
                "cá nhân kinh doanh."
            ),
            field=field,
        )
    head, branch = match.group(1), match.group(2)
    if head[2:9] == "0000000" or branch == "000":
        raise InvalidInput(N_("Mã số thuế không hợp lệ."), field=field)
    if tax_code_check_digit(head[:9]) != int(head[9]):
        raise InvalidInput(
            N_("Mã số thuế không đúng (chữ số kiểm tra không khớp). Vui lòng kiểm tra lại."),
            field=field,
        )
    return head + (branch or "")


def personal_id_tax_code(digits: str, field: str = "tax_code", *, year: int | None = None) -> str:
    """A personal identification number used as a tax code (Circular 86/2024/TT-BTC,
    Art. 5(5) and Art. 38(2); Law on Tax Administration 38/2019/QH14, Art. 35(7)).

    Its structure (Decree 137/2015/ND-CP Art. 13, Circular 07/2016/TT-BCA Art. 7): the
    code of the province, or of the country, where the birth was registered (3 digits),
    the century and sex (1), the year of birth (2), then 6 random digits; no check
    digit. Only the birth year can be checked: the century digit 0-1 means the 1900s,
    2-3 the 2000s, 4-9 later centuries, so a year after this one is no one's. The place
    code is not checked: a birth registered abroad carries a country code (Annex II of
    Circular 07/2016/TT-BCA) whose list could not be confirmed, and the Identification
    Law 2023 (Art. 12) leaves the structure to the Government."""
    current = year if year is not None else in_vietnam(utc_now()).year
    born = 1900 + 100 * (int(digits[3]) // 2) + int(digits[4:6])
    if born > current:
        raise InvalidInput(
            N_(
                "Mã số thuế 12 chữ số là số định danh cá nhân (số căn cước) của chủ hộ kinh "
                "doanh: chữ số thứ 4 đến thứ 6 (thế kỷ, giới tính, năm sinh) không đúng. Hãy "
                "chép lại số trên thẻ căn cước."
            ),
            field=field,
        )
    return digits


def shown_tax_code(code: str) -> str:
    """A branch's 13 digits as printed: 0100233488-001."""
    return f"{code[:10]}-{code[10:]}" if len(code) == 13 else code


def text(value: str, *, field: str, low: int, high: int, problem: Translatable) -> str:
    """One line of text (spaces collapsed) of ``low`` to ``high`` characters; otherwise
    ``problem``, which says so for this field."""
    line = " ".join(value.split())
    if not low <= len(line) <= high:
        raise InvalidInput(problem, field=field)
    return line
