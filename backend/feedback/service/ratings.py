"""Satisfaction ratings: of a returned dossier, by its owner, and of a visit to a counter,
by anyone holding its QR code.

A dossier is rated once (``rating_key = "dossier:<id>"`` is unique), by its owner or a
member of its organisation, and its author may change the rating for seven days; the
officials who took a step of the dossier are recorded with it and see it among the
ratings of their work. A counter's token must be genuine and current, the visit proven
by the code the counter shows (``visits``), and one device rates one counter once a
day: the device is a signed cookie, and the day is part of the unique key, so however
often a phone sends, one rating is kept. Only ratings whose status is "counted" enter
any figure or summary; a burst is held for a leader's review (``bursts``, ``review``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.db import write_transaction
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierBrief
from backend.errors import Conflict, Forbidden, InvalidInput
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import (
    CounterRatingIn,
    OfficialRatings,
    RatingIn,
    RatingRead,
    RatingSummary,
)
from backend.feedback.service.bursts import (
    COUNTER_LOCK,
    hold_ratings,
    judge_counter_rating,
    lock,
)
from backend.feedback.service.labels import CRITERIA
from backend.feedback.service.rows import RatingRow, Scores, rating_by_id, rating_by_key, scores
from backend.feedback.service.visits import prove_visit
from backend.feedback.tables import Rating, RatingOfficial
from backend.i18n import N_

EDIT_DAYS = 7


def _read(row: RatingRow, editable_days: int | None = None) -> RatingRead:
    read = msgspec.convert(row, RatingRead, from_attributes=True)
    if editable_days is not None:
        read.editable_until = read.created_at + dt.timedelta(days=editable_days)
    return read


def _answers(data: RatingIn) -> dict[str, Any]:
    """The survey's answers by column."""
    return {
        "overall": data.overall,
        "info": data.info,
        "speed": data.speed,
        "convenience": data.convenience,
        "attitude": data.attitude,
        "comment": data.comment.strip(),
    }


def _new(data: RatingIn, **columns: Any) -> Rating:
    return Rating(**columns, **_answers(data))


async def _ratable(principal: Principal, dossier_id: int) -> DossierBrief:
    if principal.kind != "citizen":
        raise Forbidden(N_("Chỉ người nộp hồ sơ đánh giá được hồ sơ."))
    dossier = await dossiers.brief(principal, dossier_id)
    if dossier.status != "returned":
        raise InvalidInput(N_("Bạn đánh giá được khi hồ sơ đã trả kết quả."), field="dossier")
    return dossier


async def my_rating(principal: Principal, dossier_id: int) -> RatingRead | None:
    """The dossier's rating (whoever of its owner's organisation gave it)."""
    await dossiers.brief(principal, dossier_id)  # the same access as the dossier
    row = await rating_by_key(f"dossier:{dossier_id}")
    if row is None:
        return None
    read = _read(row, EDIT_DAYS)
    read.by_me = row.account_id == principal.account_id
    return read


async def rate_dossier(
    runtime: FeedbackRuntime, principal: Principal, dossier_id: int, data: RatingIn
) -> RatingRead:
    """Rate a returned dossier, or change one's rating within seven days."""
    dossier = await _ratable(principal, dossier_id)
    now = runtime.now()
    key = f"dossier:{dossier_id}"
    async with write_transaction():
        inserted = (
            await Rating.insert(
                _new(
                    data,
                    rating_key=key,
                    source="dossier",
                    agency_code=dossier.agency_code,
                    dossier_id=dossier_id,
                    procedure_code=dossier.procedure_code,
                    account_id=principal.account_id,
                    proof="account",
                    day=runtime.today(),
                    created_at=now,
                    updated_at=now,
                )
            )
            .on_conflict(target=Rating.rating_key, action="DO NOTHING")
            .returning(Rating.id)
        )
        if inserted:
            officials = await dossiers.handlers_of(dossier_id)
            if officials:
                await RatingOfficial.insert(
                    *(RatingOfficial(rating=inserted[0]["id"], official_id=o) for o in officials)
                )
        else:
            existing = await rating_by_key(key)
            assert existing is not None  # the unique key refused the insert
            if existing.account_id != principal.account_id:
                raise Conflict(N_("Hồ sơ này đã được đánh giá."), field="dossier")
            if now > existing.created_at + dt.timedelta(days=EDIT_DAYS):
                raise Conflict(
                    N_("Chỉ sửa được đánh giá trong %(days)d ngày sau khi gửi.", days=EDIT_DAYS),
                    field="dossier",
                )
            await Rating.update(**_answers(data), updated_at=now).where(Rating.rating_key == key)
    rated = await rating_by_key(key)
    assert rated is not None
    return _read(rated, EDIT_DAYS)


def _counter_key(agency_code: str, number: int, device: str, day: dt.date) -> str:
    return f"counter:{agency_code}:{number}:{device}:{day.isoformat()}"


async def rate_counter(
    runtime: FeedbackRuntime,
    limiter: accounts.RateLimiter,
    token: str,
    device: str,
    address: str,
    data: CounterRatingIn,
) -> RatingRead:
    """Rate today's visit to a counter, proven by the code it shows (``visits``); the
    caller has checked the device's cookie. No limit per client address applies to a
    proven visit: every phone on a centre's Wi-Fi shares one. A rating that makes a
    burst at its counter is held for review (``bursts``), with the burst's others."""
    counter = await catalogue.counter_for_token(
        runtime.secret_key, runtime.counter_key_version, token
    )
    proof = await prove_visit(runtime, limiter, counter, data.visit_code, address)
    today, now = runtime.today(), runtime.now()
    window = (now - dt.timedelta(minutes=runtime.counter_rating_burst_minutes), now)
    answers = _answers(data)
    async with write_transaction():
        await lock(COUNTER_LOCK, f"{counter.agency.code}~{counter.number}")
        verdict = await judge_counter_rating(
            counter.agency.code,
            counter.number,
            window,
            tuple(answers.values()),
            runtime.counter_rating_burst,
        )
        inserted = (
            await Rating.insert(
                _new(
                    data,
                    rating_key=_counter_key(counter.agency.code, counter.number, device, today),
                    source="counter",
                    agency_code=counter.agency.code,
                    counter_number=counter.number,
                    stated_code=data.stated_code.strip()[:48],
                    proof=proof,
                    status=verdict.status,
                    held_reason=verdict.reason,
                    day=today,
                    created_at=now,
                    updated_at=now,
                )
            )
            .on_conflict(target=Rating.rating_key, action="DO NOTHING")
            .returning(Rating.id)
        )
        if inserted:
            await hold_ratings(verdict.also_hold, verdict.reason, now)
    if not inserted:
        raise Conflict(N_("Hôm nay bạn đã đánh giá quầy này rồi. Cảm ơn bạn!"), field="counter")
    return _read(await rating_by_id(inserted[0]["id"]))


async def counter_rated_today(runtime: FeedbackRuntime, token: str, device: str | None) -> bool:
    """Whether this device has rated this counter today (to say so before the survey)."""
    if device is None:
        return False
    counter = await catalogue.counter_for_token(
        runtime.secret_key, runtime.counter_key_version, token
    )
    key = _counter_key(counter.agency.code, counter.number, device, runtime.today())
    return await Rating.exists().where(Rating.rating_key == key)


# ------------------------------------------------------------ the officials' view


def _summary(rows: list[Scores]) -> RatingSummary:
    count = len(rows)
    criteria: dict[str, float | None] = {}
    for name in CRITERIA:
        given = [value for row in rows if (value := getattr(row, name)) is not None]
        criteria[name] = round(sum(given) / len(given), 2) if given else None
    return RatingSummary(
        count=count,
        satisfied=sum(1 for row in rows if row.overall >= 4),
        average=round(sum(row.overall for row in rows) / count, 2) if count else None,
        from_counter=sum(1 for row in rows if row.source == "counter"),
        from_dossiers=sum(1 for row in rows if row.source == "dossier"),
        criteria=criteria,
    )


_SCORES = "SELECT source, overall, info, speed, convenience, attitude FROM feedback_rating"
_COUNTED = " AND status = 'counted'"


async def official_ratings(
    runtime: FeedbackRuntime, principal: Principal, days: int = 90
) -> OfficialRatings:
    """The ratings of the dossiers this official handled, and of their agency, over
    the last ``days`` days."""
    if principal.kind != "staff" or principal.agency_code is None:
        raise Forbidden(N_("Chỉ dành cho cán bộ."))
    since = runtime.today() - dt.timedelta(days=days)
    mine = await scores(
        _SCORES + " JOIN feedback_rating_official o ON o.rating = feedback_rating.id"
        " WHERE o.official_id = {} AND day >= {}" + _COUNTED,
        principal.account_id,
        since,
    )
    agency = await scores(
        _SCORES + " WHERE agency_code = {} AND day >= {}" + _COUNTED, principal.agency_code, since
    )
    recent = (
        await Rating.select()
        .where(
            (Rating.agency_code == principal.agency_code)
            & (Rating.day >= since)
            & (Rating.status == "counted")
            & (Rating.comment != "")
        )
        .order_by(Rating.id, ascending=False)
        .limit(20)
    )
    return OfficialRatings(
        mine=_summary(mine),
        agency=_summary(agency),
        recent=[_read(row) for row in msgspec.convert(recent, list[RatingRow], strict=False)],
    )
