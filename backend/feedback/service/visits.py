"""Proof of a visit to a counter (issue 15): a six-digit code shown at the counter that
changes every few minutes, so that a counter's public figures move only by the hands of
people who stood in front of it.

The code is a time-based one-time password (RFC 6238's dynamic truncation, over
HMAC-SHA256) of the counter's own key and the current step of ``visit_code_minutes``;
the key is derived from ``MOTCUA_SECRET_KEY`` and the counter tokens' key version, so
raising the version changes every counter's codes with its posters. A code works
during its step and the next one, so someone who read it just before it changed still
rates. Officials of the agency show it on the counter's display page or read it from
the API for a screen of their own; it is never on the public counter page or a poster,
which anyone can photograph.

A queue ticket would be one more kind of proof: ``prove_visit`` returns what proved
the visit (the rating keeps it in ``proof``), and is where a ticket's check would go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from backend.accounts import service as accounts
from backend.accounts.schemas import OFFICIAL_ROLES, Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import CounterRead
from backend.errors import Forbidden, InvalidInput
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import VisitCode
from backend.i18n import N_

DIGITS = 6
PROOF_FLOW = "counter-proof"
# Missing or wrong codes allowed in ten minutes before more are refused unread. Per
# counter, against a guesser with many addresses: two codes in a million are valid at
# any time, so 60 guesses every ten minutes find one about once in two months, and a
# code found moves nothing the burst review does not catch. Per address, high enough
# for the mistakes of every phone on a centre's shared Wi-Fi.
COUNTER_FAILURES = 60
ADDRESS_FAILURES = 30
FAILURE_WINDOW_S = 600


def _counter_key(secret_key: str, key_version: int, agency_code: str, number: int) -> bytes:
    return hmac.new(
        secret_key.encode(), f"visit-code:{key_version}:{agency_code}~{number}".encode(), "sha256"
    ).digest()


def code_at(secret_key: str, key_version: int, agency_code: str, number: int, step: int) -> str:
    """The counter's code during ``step`` (RFC 4226's dynamic truncation)."""
    key = _counter_key(secret_key, key_version, agency_code, number)
    digest = hmac.new(key, step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def step_of(runtime: FeedbackRuntime, moment: dt.datetime) -> int:
    return int(moment.timestamp()) // (runtime.visit_code_minutes * 60)


def _code(runtime: FeedbackRuntime, counter: CounterRead, step: int) -> str:
    return code_at(
        runtime.secret_key, runtime.counter_key_version, counter.agency.code, counter.number, step
    )


def code_matches(runtime: FeedbackRuntime, counter: CounterRead, typed: str) -> bool:
    """Whether ``typed`` (spaces and dashes allowed) is the counter's code now or the
    one just before it."""
    digits = "".join(ch for ch in typed if ch.isdigit())
    if len(digits) != DIGITS:
        return False
    step = step_of(runtime, runtime.now())
    found = False
    for candidate in (step, step - 1):  # both compared: no timing tells which matched
        found |= hmac.compare_digest(digits, _code(runtime, counter, candidate))
    return found


async def prove_visit(
    runtime: FeedbackRuntime,
    limiter: accounts.RateLimiter,
    counter: CounterRead,
    typed: str,
    address: str,
) -> str:
    """What proves that the person rating ``counter`` was there: its current code.
    Refused (400, at ``visit_code``) without one; a counter or an address that has
    sent too many wrong codes lately is refused (429) before its code is even read."""
    counter_key = f"counter:{counter.agency.code}:{counter.number}"
    address_key = f"ip:{address}"
    await limiter.check_failures(PROOF_FLOW, counter_key, COUNTER_FAILURES, FAILURE_WINDOW_S)
    await limiter.check_failures(PROOF_FLOW, address_key, ADDRESS_FAILURES, FAILURE_WINDOW_S)
    if code_matches(runtime, counter, typed):
        return "visit_code"
    if typed.strip():
        await limiter.record_failure(PROOF_FLOW, counter_key, FAILURE_WINDOW_S)
    await limiter.record_failure(PROOF_FLOW, address_key, FAILURE_WINDOW_S)
    if not typed.strip():
        raise InvalidInput(
            N_(
                "Hãy nhập mã đánh giá gồm %(n)d chữ số đang hiện trên màn hình tại quầy. "
                "Không thấy mã, bạn hỏi cán bộ tại quầy.",
                n=DIGITS,
            ),
            field="visit_code",
        )
    raise InvalidInput(
        N_(
            "Mã đánh giá không đúng hoặc đã hết hạn (mã đổi sau mỗi %(minutes)d phút). "
            "Hãy nhập mã đang hiện tại quầy.",
            minutes=runtime.visit_code_minutes,
        ),
        field="visit_code",
    )


async def visit_code(runtime: FeedbackRuntime, principal: Principal, number: int) -> VisitCode:
    """The code one of the official's agency's counters shows now."""
    if (
        principal.kind != "staff"
        or principal.role not in OFFICIAL_ROLES
        or principal.agency_code is None
    ):
        raise Forbidden(N_("Chỉ cán bộ của cơ quan xem được mã đánh giá của quầy."))
    counter = await catalogue.get_counter(principal.agency_code, number)
    now = runtime.now()
    step = step_of(runtime, now)
    seconds = runtime.visit_code_minutes * 60
    code = _code(runtime, counter, step)
    token = catalogue.counter_token(
        runtime.secret_key, runtime.counter_key_version, counter.agency.code, counter.number
    )
    return VisitCode(
        agency_code=counter.agency.code,
        counter_number=counter.number,
        code=code,
        changes_at=dt.datetime.fromtimestamp((step + 1) * seconds, dt.UTC),
        step_minutes=runtime.visit_code_minutes,
        rating_url=f"{runtime.public_url}/c/{token}/danh-gia?ma={code}",
    )
