"""What a dossier owes: the fee lines of a procedure that apply to its answers and
channel, each with its amount. Pure functions of the data, so that the server computes
the amount to pay (a page or a script never decides it).

``fees`` are FeeRead-shaped dicts, as a dossier keeps them in its JSON snapshot of the
catalogue: ``kind``, ``label_vi``, ``label_en``, ``amount``, ``online_amount``, and
optionally ``when`` ({"field", "equals"}) and ``per_field`` (a "number" question)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from backend.catalogue.schemas import FeeLine

# The channels charged a line's online amount (the reduced or waived fee a provincial
# resolution sets for online dossiers): the citizen's own online submission, and a
# mobile team's ("assisted"), whose official fills in and submits the dossier
# electronically on their device at the citizen's home, which the province counts as
# online submission. At the counter and by post the full amount applies.
ONLINE_FEE_CHANNELS = frozenset({"online", "assisted"})

# A per-copy line never multiplies by more than this, whatever the answer says (the
# form's own limits are much lower; this only keeps a bad answer from making an
# absurd amount).
MAX_QUANTITY = 10_000


def condition_holds(when: Any, answers: Mapping[str, str]) -> bool:
    """Whether a fee line's condition holds (no condition: always)."""
    if when is None:
        return True
    if isinstance(when, Mapping):
        field, equals = when.get("field"), when.get("equals")
    else:  # a FieldCondition
        field, equals = getattr(when, "field", None), getattr(when, "equals", None)
    if not isinstance(field, str) or equals is None:
        return False
    answer = answers.get(field)
    return answer is not None and str(answer).strip() == str(equals).strip()


def quantity_of(per_field: str | None, answers: Mapping[str, str]) -> int:
    """The whole number answered to ``per_field``, at least 1 (and at most
    MAX_QUANTITY); 1 when there is no such field, no answer, or not a whole number."""
    if not per_field:
        return 1
    raw = answers.get(per_field)
    if raw is None:
        return 1
    text = str(raw).strip().replace(",", ".")
    if not text or len(text) > 20:
        return 1
    try:
        number = float(text)
    except ValueError:
        return 1
    if not math.isfinite(number) or not number.is_integer():
        return 1
    return min(max(int(number), 1), MAX_QUANTITY)


def _amount(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def fee_lines(
    fees: Sequence[Mapping[str, Any]], channel: str, answers: Mapping[str, str]
) -> list[FeeLine]:
    """The lines that apply, in order. The unit is the online amount when the channel
    is one of ``ONLINE_FEE_CHANNELS`` and the line has one, else the counter amount; a
    line whose amount is missing or not a whole number is left out."""
    lines = []
    for fee in fees:
        if not condition_holds(fee.get("when"), answers):
            continue
        full = _amount(fee.get("amount"))
        if full is None:
            continue
        online = _amount(fee.get("online_amount"))
        unit = online if channel in ONLINE_FEE_CHANNELS and online is not None else full
        quantity = quantity_of(fee.get("per_field"), answers)
        lines.append(
            FeeLine(
                kind=str(fee.get("kind", "")),
                label_vi=str(fee.get("label_vi", "")),
                label_en=str(fee.get("label_en", "")),
                unit_amount=unit,
                quantity=quantity,
                amount=unit * quantity,
                full_amount=full * quantity,
            )
        )
    return lines


def total(lines: Iterable[FeeLine]) -> int:
    """What the lines come to, in đồng."""
    return sum(line.amount for line in lines)


__all__ = [
    "MAX_QUANTITY",
    "ONLINE_FEE_CHANNELS",
    "FeeLine",
    "condition_holds",
    "fee_lines",
    "quantity_of",
    "total",
]
