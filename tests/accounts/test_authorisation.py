"""The authorisation matrix: every guarded endpoint and page × every kind of person ×
someone else's object. Objects that are not yours are "not found" (404), not 403."""

from __future__ import annotations

from typing import Any

from tests.accounts.conftest import BrowserFactory, CitizenFactory, StaffFactory
from tests.accounts.helpers import OTHER_AGENCY, Browser
from tests.accounts.test_organisations import valid_tax_code

ROLES = [
    "anonymous",
    "owner",
    "member",
    "outsider",
    "reception",
    "processing",
    "leader",
    "admin",
    "admin_other_agency",
]
CITIZENS = {"owner", "member", "outsider"}
STAFF = {"reception", "processing", "leader", "admin", "admin_other_agency"}


def expect(
    default: int | None, anonymous: int = 401, **overrides: int | None
) -> dict[str, int | None]:
    table: dict[str, int | None] = {role: default for role in ROLES}
    table["anonymous"] = anonymous
    table.update(overrides)
    return table


def citizens(
    status: int | None, staff: int | None = 403, **overrides: int | None
) -> dict[str, int | None]:
    table = expect(staff, **{role: status for role in CITIZENS})
    table.update(overrides)
    return table


def officials(status: int | None, **overrides: int | None) -> dict[str, int | None]:
    table = expect(403, **{role: status for role in STAFF})
    table.update(overrides)
    return table


async def test_authorisation_matrix(
    citizen: CitizenFactory, staff: StaffFactory, browsers: BrowserFactory
) -> None:
    people: dict[str, Browser] = {"anonymous": await browsers()}
    people["owner"], owner_id = await citizen()
    people["member"], member_id = await citizen()
    people["outsider"], _ = await citizen()
    for role in ("reception", "processing", "leader", "admin"):
        people[role], _ = await staff(role)
    people["admin_other_agency"], _ = await staff("admin", OTHER_AGENCY)

    owner = people["owner"]
    organisation = (
        await owner.post(
            "/api/organisations",
            {
                "name": "Công ty Ma Trận",
                "tax_code": valid_tax_code(owner_id * 31337),
                "address": "5 Hàm Rồng",
            },
        )
    ).json()
    org = organisation["id"]
    invitation = (await owner.post(f"/api/organisations/{org}/invitations")).json()["url"]
    joined = await people["member"].post(f"/api/invitations/{invitation.rsplit('/', 1)[-1]}/accept")
    assert joined.status_code == 201
    passkey = (await owner.get("/api/account/passkeys")).json()[0]["id"]
    owner_session = next(
        s for s in (await owner.get("/api/account/sessions")).json() if s["current"]
    )["id"]
    target = (
        await people["admin"].post(
            "/api/staff/officials", {"full_name": "Cán Bộ Đích", "role": "reception"}
        )
    ).json()["official"]["id"]

    rows: list[tuple[str, str, Any, dict[str, int | None]]] = [
        ("GET", "/api/account/", None, expect(200)),
        ("GET", "/api/account/passkeys", None, expect(200)),
        ("GET", "/api/account/sessions", None, expect(200)),
        ("GET", "/api/account/security-events", None, expect(200)),
        ("POST", "/api/account/passkeys/options", {}, expect(200)),
        ("PATCH", f"/api/account/passkeys/{passkey}", {"name": "Của tôi"}, expect(404, owner=200)),
        ("DELETE", f"/api/account/passkeys/{passkey}", None, expect(404, owner=409)),
        ("DELETE", f"/api/account/sessions/{owner_session}", None, expect(404, owner=None)),
        ("POST", "/api/account/recovery-codes", {}, citizens(201)),
        ("GET", "/api/organisations", None, citizens(200)),
        (
            "POST",
            "/api/organisations",
            {"name": "X", "tax_code": "1", "address": "Y"},
            citizens(422),
        ),
        ("GET", f"/api/organisations/{org}", None, citizens(200, outsider=404)),
        (
            "POST",
            f"/api/organisations/{org}/invitations",
            {},
            citizens(201, member=403, outsider=404),
        ),
        (
            "DELETE",
            f"/api/organisations/{org}/members/{member_id}",
            None,
            citizens(None, member=403, outsider=404),
        ),
        ("POST", f"/api/invitations/{'B' * 43}/accept", {}, citizens(404)),
        (
            "POST",
            "/api/staff/reenrolments",
            {"phone": people["outsider"].phone, "identity_checked": True},
            officials(403, reception=201),
        ),
        ("GET", "/api/staff/officials", None, officials(403, admin=200, admin_other_agency=200)),
        (
            "POST",
            "/api/staff/officials",
            {"full_name": "Người Mới", "role": "processing"},
            officials(403, admin=201, admin_other_agency=201),
        ),
        (
            "PATCH",
            f"/api/staff/officials/{target}",
            {"role": "processing"},
            officials(403, admin=200, admin_other_agency=404),
        ),
        (
            "POST",
            f"/api/staff/officials/{target}/enrolment",
            {},
            officials(403, admin=201, admin_other_agency=404),
        ),
        ("POST", "/api/auth/logout-everywhere", {}, expect(None)),
        # Pages: nobody signed in is sent to the sign-in page.
        ("GET", "/tai-khoan/thiet-bi", None, expect(200, anonymous=303)),
        ("GET", "/to-chuc", None, citizens(200) | {"anonymous": 303}),
        ("GET", f"/to-chuc/{org}", None, citizens(200, outsider=404) | {"anonymous": 303}),
        (
            "POST",
            f"/to-chuc/{org}/loi-moi",
            {},
            citizens(200, member=403, outsider=404) | {"anonymous": 303},
        ),
        (
            "GET",
            "/can-bo/cap-lai",
            None,
            officials(403, reception=200) | {"anonymous": 303},
        ),
    ]
    wrong = []
    for method, path, body, table in rows:
        for role, expected in table.items():
            if expected is None:
                continue
            browser = people[role]
            if method == "GET":
                response = await browser.get(path)
            elif method == "DELETE":
                response = await browser.delete(path)
            elif method == "PATCH":
                response = await browser.patch(path, body)
            elif path.startswith("/api/"):
                response = await browser.post(path, body)
            else:
                response = await browser.client.post(
                    path, data={"_csrf_token": (await browser.headers())["x-csrftoken"]}
                )
            if response.status_code != expected:
                wrong.append(
                    f"{method} {path} as {role}: {response.status_code}, expected {expected}"
                )
            elif expected == 303:
                assert response.headers["location"].startswith("/dang-nhap?next=")
            elif expected == 404 and path.startswith("/api/"):
                assert response.json()["error"]["message_vi"]
    assert not wrong, "\n".join(wrong)
    # Someone else's organisation list never shows this one.
    outsiders = (await people["outsider"].get("/api/organisations")).json()
    assert org not in [o["id"] for o in outsiders]
    listed = (await people["admin_other_agency"].get("/api/staff/officials")).json()
    assert target not in [o["id"] for o in listed]
