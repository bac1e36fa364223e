"""What a dossier owes: the fee lines of a procedure that apply to its answers and
channel, each with its amount. Pure functions of the data, so that the server computes
the amount to pay (a page or a script never decides it).

``fees`` are FeeRead-shaped dicts, as a dossier keeps them in its JSON snapshot of the
catalogue: ``kind``, ``label_vi``, ``label_en``, ``amount``, ``online_amount``, and
optionally ``when`` ({"field", "equals"}) and ``per_field`` (a "number" question).

``rules`` are FeeRuleRead-shaped (Structs, or dicts as a snapshot keeps them). How they
combine, for each line that applies:

1. The base unit is the line's ``amount``, unless a base rule (one with ``amount``)
   applies: the one for the dossier's agency before one for every agency, then the one
   whose period started last (a new tariff over an open-ended old one).
   ``full_amount`` is the base × the quantity.
2. The reductions are the line's own ``online_amount`` (on the online channels) and
   every percent rule that applies (its agency, channel, period and, for an exemption,
   the group the applicant declared). They do not stack: the single most favourable
   one gives the unit, rounded down to the đồng. On a tie the one asking for no
   evidence wins (the online amount, a rule without a group), so that declaring a group
   never matters when nothing depends on it.
3. ``rule_vi``/``rule_en`` name the reduction that gave the unit, with its legal basis;
   empty when the base applies."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from backend.catalogue.groups import APPLICANT_GROUPS
from backend.catalogue.schemas import ApplicantGroup, FeeLine
from backend.vietnam import in_vietnam

# The channels charged a line's online amount (the reduced or waived fee a provincial
# resolution sets for online dossiers): the citizen's own online submission, and a
# mobile team's ("assisted"), whose official fills in and submits the dossier
# electronically on their device at the citizen's home, which the province counts as
# online submission. At the counter and by post the full amount applies.
ONLINE_FEE_CHANNELS = frozenset({"online", "assisted"})

# What a line's own online amount is called when it gave the unit.
ONLINE_RATE_VI = "Mức thu khi nộp hồ sơ trực tuyến"
ONLINE_RATE_EN = "Rate for online filing"

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


def _get(rule: Any, name: str) -> Any:
    return rule.get(name) if isinstance(rule, Mapping) else getattr(rule, name, None)


def _day(value: Any) -> dt.date | None:
    """A rule's date: a date, or the ISO text a JSON snapshot keeps (bad text: None)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def in_force(rule: Any, on: dt.date) -> bool:
    """Whether ``on`` is within the rule's period (both ends inclusive, either open)."""
    start, end = _day(_get(rule, "valid_from")), _day(_get(rule, "valid_to"))
    return (start is None or start <= on) and (end is None or on <= end)


def _for_agency(rule: Any, agency_code: str) -> bool:
    return _get(rule, "agency_code") in ("", None, agency_code)


def _for_channel(rule: Any, channel: str | None) -> bool:
    channels = _get(rule, "channels") or ()
    return channel is None or not channels or channel in channels


def _for_line(rule: Any, position: int) -> bool:
    concerns = _get(rule, "position")
    return concerns is None or concerns == position


def _rule_text(rule: Any, lang: str) -> str:
    label = str(_get(rule, f"label_{lang}") or "")
    basis = str(_get(rule, "basis") or "")
    return f"{label} – {basis}" if label and basis else label or basis


def _today() -> dt.date:
    return in_vietnam(dt.datetime.now(dt.UTC)).date()


def _base(rules: Sequence[Any], position: int, agency_code: str, on: dt.date) -> int | None:
    found = [
        rule
        for rule in rules
        if _amount(_get(rule, "amount")) is not None
        and _for_line(rule, position)
        and _for_agency(rule, agency_code)
        and in_force(rule, on)
    ]
    if not found:
        return None
    best = max(
        found,
        key=lambda rule: (
            bool(_get(rule, "agency_code")),
            _day(_get(rule, "valid_from")) or dt.date.min,
        ),
    )
    return _amount(_get(best, "amount"))


def fee_lines(
    fees: Sequence[Mapping[str, Any]],
    channel: str,
    answers: Mapping[str, str],
    *,
    rules: Sequence[Any] = (),
    on: dt.date | None = None,
    agency_code: str = "",
    group: str = "",
) -> list[FeeLine]:
    """The lines that apply, in order, each with the unit the rules above give (on
    ``on``, today in Vietnam when None, for ``agency_code``, to an applicant who
    declared ``group``, "" for none); a line whose amount is missing or not a whole
    number is left out. Without rules: the online amount on the online channels
    (``ONLINE_FEE_CHANNELS``), else the counter amount."""
    day = on or _today()
    online_channel = channel in ONLINE_FEE_CHANNELS
    lines = []
    for position, fee in enumerate(fees):
        if not condition_holds(fee.get("when"), answers):
            continue
        full = _amount(fee.get("amount"))
        if full is None:
            continue
        base = _base(rules, position, agency_code, day)
        if base is not None:
            full = base
        # (unit, needs evidence, rule_vi, rule_en): the lowest unit wins, then no evidence.
        candidates: list[tuple[int, bool, str, str]] = [(full, False, "", "")]
        online = _amount(fee.get("online_amount"))
        if online_channel and online is not None and online < full:
            candidates.append((online, False, ONLINE_RATE_VI, ONLINE_RATE_EN))
        for rule in rules:
            percent = _amount(_get(rule, "percent"))
            needs = _get(rule, "group") or ""
            if (
                percent is None
                or not 0 < percent <= 100
                or not _for_line(rule, position)
                or not _for_agency(rule, agency_code)
                or not _for_channel(rule, channel)
                or not in_force(rule, day)
                or (needs and needs != group)
            ):
                continue
            unit = full * (100 - percent) // 100
            candidates.append((unit, bool(needs), _rule_text(rule, "vi"), _rule_text(rule, "en")))
        unit, _, rule_vi, rule_en = min(candidates, key=lambda c: (c[0], c[1]))
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
                rule_vi=rule_vi,
                rule_en=rule_en,
            )
        )
    return lines


def groups_for(
    rules: Sequence[Any],
    agency_code: str,
    on: dt.date | None = None,
    *,
    channel: str | None = None,
) -> list[ApplicantGroup]:
    """The applicant groups that some rule of these exempts from a fee, or reduces it,
    at this agency on ``on`` (today in Vietnam when None) and, when given, on this
    channel: what an applicant may declare, in the order of ``APPLICANT_GROUPS``."""
    day = on or _today()
    codes = {
        _get(rule, "group")
        for rule in rules
        if _get(rule, "group")
        and (_amount(_get(rule, "percent")) or 0) > 0
        and _for_agency(rule, agency_code)
        and _for_channel(rule, channel)
        and in_force(rule, day)
    }
    return [group for code, group in APPLICANT_GROUPS.items() if code in codes]


def reductions(rules: Sequence[Any], agency_code: str, on: dt.date | None = None) -> list[Any]:
    """The waivers, reductions and exemptions in force at this agency on ``on`` (today
    in Vietnam when None; only the every-agency ones when ``agency_code`` is ""): what
    the procedure's page tells before anyone files."""
    day = on or _today()
    return [
        rule
        for rule in rules
        if (_amount(_get(rule, "percent")) or 0) > 0
        and _for_agency(rule, agency_code)
        and in_force(rule, day)
    ]


def total(lines: Iterable[FeeLine]) -> int:
    """What the lines come to, in đồng."""
    return sum(line.amount for line in lines)


__all__ = [
    "APPLICANT_GROUPS",
    "MAX_QUANTITY",
    "ONLINE_FEE_CHANNELS",
    "ONLINE_RATE_EN",
    "ONLINE_RATE_VI",
    "ApplicantGroup",
    "FeeLine",
    "condition_holds",
    "fee_lines",
    "groups_for",
    "in_force",
    "quantity_of",
    "reductions",
    "total",
]
