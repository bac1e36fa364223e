"""What officials see of the sync on the console's dossier page, and "Gửi lại": the
portal's refusal shown with its message, a resend by an official of the agency holding
the dossier (audited), refused to another agency's official as if the dossier did not
exist, and without the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from backend.accounts.tables import AuditEvent
from backend.dossiers.runtime import DossiersRuntime
from backend.portal.runtime import PortalRuntime
from tests.dossiers.conftest import AGENCY, OTHER_AGENCY, PersonFactory
from tests.portal.conftest import Signed, drain, office, received, sync_row
from tests.support.portal_fake import PortalFake

REFUSAL = "Mã TTHC chưa được công bố trên Cổng"


def portal_line(html: str) -> str:
    found = re.search(r'<p id="portal-state">(.*?)</p>', html, re.S)
    assert found, "no portal line on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


async def _audit(dossier_id: int) -> list[dict[str, Any]]:
    rows = (
        await AuditEvent.select()
        .where(AuditEvent.event == "portal_resend_requested")
        .output(load_json=True)
    )
    return [row for row in rows if row["details"].get("dossier_id") == dossier_id]


async def test_a_refusal_is_shown_and_an_official_of_the_agency_sends_it_again(
    portal: PortalRuntime,
    fake: PortalFake,
    runtime: DossiersRuntime,
    people: PersonFactory,
    signed_in: Signed,
) -> None:
    dossier = await received(runtime, people, await office(people))
    assert dossier.code is not None
    page = f"/can-bo/ho-so/{dossier.id}"
    official = await signed_in("reception", AGENCY)
    stranger = await signed_in("reception", OTHER_AGENCY)

    before = await official.get(page)
    assert before.status_code == 200
    # Not taken from the outbox yet: not sent yet.
    assert portal_line(before.text) == "Cổng DVC quốc gia: Chưa gửi"

    fake.reject[dossier.code] = ("05", REFUSAL)
    await drain(portal)
    shown = await official.get(page)
    assert portal_line(shown.text) == f"Cổng DVC quốc gia: Lỗi: Cổng từ chối hồ sơ: {REFUSAL}"
    assert 'id="action-portal-resend"' in shown.text
    official.cookies.set("lang", "en")
    english = await official.get(page)
    official.cookies.delete("lang")
    assert "National Public Service Portal: Error: The portal refused the dossier" in (
        portal_line(english.text)
    )

    # Another agency's official: as if the dossier did not exist, and nothing changes.
    refused = await stranger.post(f"{page}/cong-dvc/gui-lai", follow_redirects=False)
    assert refused.status_code == 404
    assert (await sync_row(dossier.id) or {})["state"] == "error"
    # Without the CSRF token: refused too.
    token = official.headers.pop("x-csrftoken")
    forged = await official.post(f"{page}/cong-dvc/gui-lai", follow_redirects=False)
    assert forged.status_code == 403
    official.headers["x-csrftoken"] = token
    assert await _audit(dossier.id) == []

    fake.reject.clear()
    asked = await official.post(f"{page}/cong-dvc/gui-lai", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].endswith("?xong=gui-lai-cong-dvc#cong-dvc")
    row = await sync_row(dossier.id)
    assert row is not None and (row["state"], row["next_ms"] is not None) == ("requested", True)
    audit = await _audit(dossier.id)
    assert len(audit) == 1 and audit[0]["actor_id"] is not None
    confirmed = await official.get(asked.headers["location"])
    assert 'id="portal-done"' in confirmed.text
    assert portal_line(confirmed.text) == "Cổng DVC quốc gia: Đang gửi"

    await drain(portal)
    synced = await official.get(page)
    assert portal_line(synced.text).startswith("Cổng DVC quốc gia: Đã đồng bộ")
    assert fake.dossiers[dossier.code]["TrangThaiHoSo"] == "2"


async def test_a_dossier_not_yet_received_has_no_portal_line_and_cannot_be_sent(
    portal: PortalRuntime, runtime: DossiersRuntime, people: PersonFactory, signed_in: Signed
) -> None:
    from tests.dossiers.conftest import submitted

    dossier = await submitted(runtime, await people("citizen"))
    official = await signed_in("reception", AGENCY)
    page = await official.get(f"/can-bo/ho-so/{dossier.id}")
    assert page.status_code == 200
    assert 'id="portal-state"' not in page.text
    asked = await official.post(
        f"/can-bo/ho-so/{dossier.id}/cong-dvc/gui-lai", follow_redirects=False
    )
    assert asked.status_code == 404
    assert await sync_row(dossier.id) is None
