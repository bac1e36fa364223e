"""What deleting an account does to the person's visits and devices: an upcoming
booking cancelled with its place freed, a past one kept, a waiting ticket out of the
line, push subscriptions gone; and the archive lists them first (the push service's
host only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from litestar import Litestar

from backend.appointments.tables import Booking, Slot
from backend.clock import utc_now
from backend.feedback.tables import Feedback
from backend.notifications.tables import PushSubscription
from backend.tickets.tables import Ticket
from tests.accounts.helpers import Browser
from tests.dossiers.conftest import jpeg
from tests.privacy.conftest import open_archive, sign_up


async def test_visits_end_and_devices_go(
    payments_app: Litestar, open_browsers: list[Browser]
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Mai Thị Hẹn")
    now = utc_now()
    agency = f"PRIV-{lan.id}"
    soon, past = now.date() + dt.timedelta(days=3), now.date() - dt.timedelta(days=3)
    await Slot.insert(
        Slot(agency_code=agency, counter_number=1, day=soon, starts=540, capacity=2, taken=1)
    )
    booking = dict(
        account_id=lan.id,
        device="thiet-bi-1",
        agency_code=agency,
        counter_number=1,
        procedure_code="2.001680",
        starts=540,
        slot_minutes=30,
        state="booked",
        created_at=now,
        updated_at=now,
    )
    upcoming, gone_by = secrets.token_hex(6), secrets.token_hex(6)
    await Booking.insert(
        Booking(code=upcoming, day=soon, **booking), Booking(code=gone_by, day=past, **booking)
    )
    await Ticket.insert(
        Ticket(
            public_id=secrets.token_urlsafe(16),
            agency_code=agency,
            counter_number=1,
            issued_counter=1,
            day=now.date().isoformat(),
            number=7,
            state="waiting",
            account_id=lan.id,
            device="thiet-bi-1",
            queued_at=now,
            issued_at=now,
        )
    )
    await PushSubscription.insert(
        PushSubscription(
            account_id=lan.id,
            session_id="s",
            endpoint=f"https://push.example.net/send/{secrets.token_urlsafe(20)}",
            p256dh="k",
            auth="a",
            created_at=now,
        )
    )

    storage = payments_app.state["privacy"].storage
    picture = jpeg(40, 30)
    feedback_code = f"PA-PRIV-{lan.id}"
    await Feedback.insert(
        Feedback(
            code=feedback_code,
            agency_code=agency,
            first_agency=agency,
            category="thai_do",
            text="Quầy 1 đông quá",
            photos=[{"key": await storage.put(picture), "media_type": "image/jpeg", "size": 9}],
            contact_name="Mai Thị Hẹn",
            account_id=lan.id,
            status="received",
            received_day=now.date(),
            due_date=soon,
            created_at=now,
            updated_at=now,
        )
    )

    archive = open_archive((await lan.browser.post("/api/account/export")).content)
    [item] = archive.data["feedback"]
    assert item["code"] == feedback_code and item["text"] == "Quầy 1 đông quá"
    [photo] = item["photos"]
    assert archive.members[photo["path"]] == picture
    assert archive.manifest[photo["path"]] == hashlib.sha256(picture).hexdigest()
    assert "key" not in photo
    assert {b["code"] for b in archive.data["appointments"]} == {upcoming, gone_by}
    [ticket] = archive.data["tickets"]
    assert ticket["number"] == 7 and ticket["state"] == "waiting"
    [subscription] = archive.data["notifications"]["push_subscriptions"]
    assert subscription["endpoint"] == "push.example.net"
    assert "/send/" not in archive.text and "thiet-bi-1" not in archive.text

    deleted = await lan.browser.post("/api/account/delete", {"confirm": "XÓA"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["bookings_cancelled"] == 1 and deleted.json()["tickets_left"] == 1

    states = {
        row["code"]: (row["state"], row["device"])
        for row in await Booking.select().where(Booking.agency_code == agency)
    }
    assert states == {upcoming: ("cancelled", ""), gone_by: ("booked", "")}
    [slot] = await Slot.select(Slot.taken).where(Slot.agency_code == agency)
    assert slot["taken"] == 0
    [row] = await Ticket.select().where(Ticket.agency_code == agency)
    assert (row["state"], row["account_id"], row["device"]) == ("skipped", None, "")
    assert await PushSubscription.count().where(PushSubscription.account_id == lan.id) == 0
    # The feedback stays, its photo too (the agency answers and keeps it), unlinked.
    [kept] = await Feedback.select().where(Feedback.code == feedback_code)
    assert kept["account_id"] is None and kept["text"] == "Quầy 1 đông quá"
