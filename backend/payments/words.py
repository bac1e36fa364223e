"""Amounts in Vietnamese words, as receipts and invoices write them under the figures
("Số tiền bằng chữ").

The number is read in groups of three digits (trăm, mươi, đơn vị) with the scales
nghìn, triệu, tỷ; above a tỷ the scales repeat (nghìn tỷ, triệu tỷ). A group after
the first is read in full, so its zero hundreds and zero tens are said ("không
trăm", "linh"); groups of three zeros are skipped. The units after a tens digit
follow speech: "mốt" for 1 after 20 and up, "tư" for 4 after 20 and up, "lăm" for 5
after 10 and up.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
BILLION = 10**9
# The units after "mươi" (20 and up) where speech changes them.
_AFTER_TENS = {1: "mốt", 4: "tư", 5: "lăm"}


def vnd_in_words(amount: int) -> str:
    """``amount`` đồng in words, capitalised: 115000 → "Một trăm mười lăm nghìn đồng"."""
    if amount < 0:
        raise ValueError("an amount of money in words cannot be negative")
    words = _number(amount, leading=True) if amount else [DIGITS[0]]
    text = " ".join([*words, "đồng"])
    return text[0].upper() + text[1:]


def _number(n: int, *, leading: bool) -> list[str]:
    """The words of ``n`` > 0; ``leading`` when nothing is said before it."""
    if n >= BILLION:
        high, low = divmod(n, BILLION)
        words = [*_number(high, leading=leading), "tỷ"]
        return words + _number(low, leading=False) if low else words
    words = []
    for group, scale in ((n // 10**6, "triệu"), (n // 1000 % 1000, "nghìn"), (n % 1000, "")):
        if group:
            words += _group(group, full=not leading)
            if scale:
                words.append(scale)
            leading = False
    return words


def _group(n: int, *, full: bool) -> list[str]:
    """The words of 1 ≤ ``n`` ≤ 999; ``full`` says zero hundreds ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = [DIGITS[hundreds], "trăm"] if hundreds or full else []
    if tens == 0:
        if units:
            # "linh" only joins hundreds to units: 5 alone is just "năm".
            words += ["linh", DIGITS[units]] if words else [DIGITS[units]]
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append(_AFTER_TENS.get(units, DIGITS[units]))
    return words
