"""A fixture of dossiers, payments, ratings and feedback at two agencies, written
straight into the tables, whose figures are known (worked out by hand in the tests).

Days are Vietnamese calendar days in October 2026; "now" is Tuesday 20 October 2026,
10:00 in Vietnam. One dossier is received at 00:30 on 6 October in Vietnam, which is
still 5 October in UTC: it must count on the 6th.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account
from backend.catalogue.service import seed_demo
from backend.db import Database
from backend.dossiers.tables import Dossier, DossierEvent
from backend.feedback.tables import Feedback, Rating
from backend.payments.tables import Payment, PaymentDossier
from backend.settings import Settings
from backend.stats import pages, service
from backend.stats.api import STATS_API
from tests.conftest import make_settings

VIETNAM = dt.timezone(dt.timedelta(hours=7))
A = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
B = "000.03.40.H56"  # Ủy ban nhân dân xã Nga An
# Procedures of the demo catalogue, by their online level.
FULL_A, PARTIAL_A, PARTIAL_A2 = "1.001193", "1.000894", "2.000815"
FULL_B, INFO_B, PARTIAL_B = "1.000656", "2.000884", "1.012790"
NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=VIETNAM)
_numbers = itertools.count(1)


def vn(day: int, hour: int = 9, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def d(day: int, month: int = 10) -> dt.date:
    return dt.date(2026, month, day)


def stats_app(app: Litestar) -> Litestar:
    """The app, with the stats pages and API mounted if app.py does not wire them yet."""
    paths = {route.path for route in app.routes}
    for controller in [*pages.STATS_PAGES, *STATS_API]:
        if controller.path not in paths:
            app.register(controller)
    return app


async def account(role: str | None, agency: str | None = A) -> int:
    """A new official of ``role`` at ``agency``, or a resident (``role`` None)."""
    staff = role is not None
    rows = await Account.insert(
        Account(
            kind="staff" if staff else "citizen",
            full_name=f"Thử thống kê {role}",
            user_handle=f"stats-{role}-{dt.datetime.now().timestamp()}",
            role=role,
            agency_code=agency if staff else None,
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    return int(rows[0]["id"])


async def sign_in(
    client: httpx.AsyncClient, app: Litestar, role: str | None, agency: str | None = A
) -> None:
    runtime: AccountsRuntime = app.state["accounts"]
    token = await sessions.start(runtime, await account(role, agency), "test")
    client.cookies.set(runtime.cookie_name, token)


def card(html: str, name: str) -> str:
    """The value of the card named ``name``."""
    found = re.search(
        rf'<span class="stat-name">{re.escape(name)}</span>\s*<span class="stat-value">([^<]*)<',
        html,
    )
    assert found, name
    return found.group(1)


async def refresh_all() -> None:
    """The figures of everything in the database, however many runs they take."""
    done = False
    while not done:
        done = (await service.refresh_once(NOW, budget_s=60)).done


async def open_database(tmp_path: Path, suffix: str) -> tuple[Settings, Database]:
    settings = await make_settings(tmp_path, suffix)
    database = Database(settings)
    await database.open()
    await database.migrate()
    await seed_demo()
    return settings, database


async def dossier(
    procedure: str,
    agency: str,
    channel: str,
    status: str,
    received: dt.datetime | None,
    due: dt.date | None,
    ready: dt.datetime | None = None,
    *,
    handled_by: str | None = None,
    paused: bool = False,
    updated: dt.datetime | None = None,
    owner: int | None = None,
) -> int:
    n = next(_numbers)
    touched = updated or max(moment for moment in (received, ready, vn(1)) if moment)
    rows = await Dossier.insert(
        Dossier(
            code=f"{agency}-STATS-{n:04d}" if received else None,
            draft_key=f"stats-{n}-{dt.datetime.now().timestamp()}",
            procedure_code=procedure,
            procedure_name_vi="Thủ tục",
            procedure_name_en="Procedure",
            processing_days=2,
            receiving_agency=agency,
            agency_code=handled_by or agency,
            status=status,
            channel=channel,
            applicant_name=f"Nguyễn Văn Thống Kê {n}",
            owner_id=owner,
            created_at=received or vn(1),
            updated_at=touched,
            submitted_at=received,
            received_at=received,
            due_date=due,
            paused_at=received if paused else None,
            result_ready_at=ready,
        )
    ).returning(Dossier.id)
    return int(rows[0]["id"])


async def apologise(dossier_id: int, at: dt.datetime) -> None:
    await DossierEvent.insert(
        DossierEvent(
            dossier=dossier_id,
            at=at,
            action="apologise",
            from_status="processing",
            to_status="processing",
            actor_role="leader",
        )
    )


async def payment(
    provider: str, status: str, paid: dt.datetime | None, dossiers: list[int]
) -> None:
    n = next(_numbers)
    created = paid or vn(1)
    rows = await Payment.insert(
        Payment(
            reference=f"MCSTATS{n:06d}",
            provider=provider,
            status=status,
            amount=10_000 * len(dossiers),
            payer_kind="person",
            account_id=1,
            payer_name="Người nộp",
            created_at=created,
            created_ms=int(created.timestamp() * 1000),
            expires_ms=int(created.timestamp() * 1000) + 900_000,
            check_ms=0,
            paid_at=paid,
        )
    ).returning(Payment.id)
    for dossier_id in dossiers:
        await PaymentDossier.insert(
            PaymentDossier(payment=rows[0]["id"], dossier_id=dossier_id, amount=10_000)
        )


async def rating(
    agency: str,
    source: str,
    overall: int,
    day: dt.date,
    dossier_id: int | None = None,
    updated: dt.datetime | None = None,
) -> int:
    n = next(_numbers)
    moment = dt.datetime.combine(day, dt.time(12), VIETNAM)
    rows = await Rating.insert(
        Rating(
            rating_key=f"stats-{n}-{dt.datetime.now().timestamp()}",
            source=source,
            agency_code=agency,
            counter_number=1 if source == "counter" else None,
            dossier_id=dossier_id,
            overall=overall,
            day=day,
            created_at=moment,
            updated_at=updated or moment,
        )
    ).returning(Rating.id)
    return int(rows[0]["id"])


async def feedback(
    first_agency: str,
    agency: str,
    received: dt.date,
    due: dt.date,
    answered: dt.date | None = None,
    *,
    on_time: bool | None = None,
    answer_rating: int | None = None,
    dossier_id: int | None = None,
) -> int:
    n = next(_numbers)
    last = answered or received
    moment = dt.datetime.combine(last, dt.time(15), VIETNAM)
    rows = await Feedback.insert(
        Feedback(
            code=f"PA-STATS-{n:05d}",
            agency_code=agency,
            first_agency=first_agency,
            dossier_id=dossier_id,
            category="service",
            text="Phản ánh thử",
            contact_name="Trần Thị Riêng Tư",
            status="answered" if answered else "open",
            received_day=received,
            due_date=due,
            answer="Đã xử lý" if answered else "",
            answered_at=moment if answered else None,
            answered_day=answered,
            on_time=on_time,
            answer_rating=answer_rating,
            created_at=dt.datetime.combine(received, dt.time(8), VIETNAM),
            updated_at=moment,
        )
    ).returning(Feedback.id)
    return int(rows[0]["id"])


@dataclass
class World:
    """The ids of the fixture's rows, by the names the tests use."""

    ids: dict[str, int] = field(default_factory=dict)


async def build_world() -> World:
    """The fixture. Expected figures are spelt out in tests/stats/test_service.py."""
    w = World()
    i = w.ids
    # Agency A, received 5 October: all three full-online procedures' dossiers.
    i["a1"] = await dossier(FULL_A, A, "online", "result_ready", vn(5, 9), d(7), vn(7, 16))
    i["a2"] = await dossier(FULL_A, A, "counter", "returned", vn(5, 10), d(7), vn(8, 9))
    i["a6"] = await dossier(
        FULL_A, A, "counter", "supplement_requested", vn(5, 11), d(7), paused=True
    )
    # Received 6 October (a3 at 00:30 in Vietnam: 5 October in UTC).
    i["a3"] = await dossier(PARTIAL_A, A, "online", "processing", vn(6, 0, 30), d(8))
    i["a4"] = await dossier(PARTIAL_A, A, "post", "result_ready", vn(6, 8), d(9), vn(9, 10))
    await apologise(i["a4"], vn(8, 15))
    i["a5"] = await dossier(PARTIAL_A2, A, "assisted", "returned", vn(6, 9), d(6), vn(6, 15))
    # Received 12 October, still processing, due on the 14th: overdue now.
    i["a7"] = await dossier(FULL_A, A, "online", "processing", vn(12, 9), d(14))
    # Submitted, never received: counts nowhere.
    i["a8"] = await dossier(FULL_A, A, "online", "submitted", None, None, updated=vn(13))
    # Agency B.
    i["b1"] = await dossier(FULL_B, B, "counter", "returned", vn(5, 9), d(6), vn(6, 9))
    i["b2"] = await dossier(INFO_B, B, "counter", "returned", vn(5, 14), d(5), vn(5, 16))
    i["b3"] = await dossier(PARTIAL_B, B, "online", "processing", vn(12, 9), d(30))
    # Received at B, transferred to A, resolved there.
    i["b4"] = await dossier(
        FULL_B, B, "counter", "returned", vn(5, 10), d(7), vn(7, 11), handled_by=A
    )
    # An old dossier (June, at B): outside October's figures, it makes the first
    # aggregation span several batches of days.
    i["old"] = await dossier(
        FULL_B, B, "online", "returned", vn(1, 9, month=6), d(3, 6), vn(2, 9, month=6)
    )
    # Payments.
    await payment("vnpay", "paid", vn(5, 12), [i["a1"], i["a3"]])
    await payment("cash", "paid", vn(5, 13), [i["a2"]])
    await payment("vnpay", "pending", None, [i["a4"]])
    await payment("vietqr", "paid", vn(6, 0, 30), [i["b1"]])
    # Ratings.
    i["r1"] = await rating(B, "dossier", 2, d(6), i["b2"])
    i["r2"] = await rating(A, "counter", 5, d(5))
    i["r3"] = await rating(A, "counter", 4, d(5))
    i["r4"] = await rating(A, "counter", 3, d(6))
    i["r5"] = await rating(A, "dossier", 5, d(8), i["a1"])
    # Feedback.
    i["f1"] = await feedback(
        B, B, d(6), d(13), d(9), on_time=True, answer_rating=5, dossier_id=i["b1"]
    )
    i["f2"] = await feedback(A, A, d(5), d(9), d(12), on_time=False)
    i["f3"] = await feedback(A, B, d(6), d(14), d(13), on_time=True, answer_rating=1)
    i["f4"] = await feedback(B, B, d(7), d(15))
    i["f5"] = await feedback(A, A, d(16), d(22))
    return w
