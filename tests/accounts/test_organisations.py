"""Organisations: registration with a checked tax code, one-time invitations,
members, and nobody else seeing them."""

from __future__ import annotations

import pytest

from backend.accounts.tables import Membership, Organisation
from backend.accounts.validation import tax_code, tax_code_check_digit
from backend.errors import InvalidInput
from tests.accounts.conftest import BrowserFactory, CitizenFactory, StaffFactory
from tests.accounts.helpers import Clock, audit_events, token_of


def valid_tax_code(seed: int) -> str:
    while True:
        head = f"{seed % 10**9:09d}"
        if head[2:] != "0000000" and (check := tax_code_check_digit(head)) is not None:
            return head + str(check)
        seed += 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0100233488", "0100233488"),  # published examples (python-stdnum's doctests)
        ("0314409058-002", "0314409058002"),
        ("0314409058002", "0314409058002"),
        ("01.00.233.488", "0100233488"),
    ],
)
def test_tax_codes_that_pass(value: str, expected: str) -> None:
    assert tax_code(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0100233480",
        "12345",
        "01002334881",
        "0100233488-000",
        "0100233488-01",
        "abcdefghij",
        "0100000000",
    ],
)
def test_tax_codes_that_fail(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        tax_code(value)
    assert raised.value.field == "tax_code"


def test_a_check_digit_of_ten_means_no_valid_code() -> None:
    # 10 - (sum mod 11) is 10 when the sum is a multiple of 11: no digit fits.
    heads = [f"{n:09d}" for n in range(100000000, 100000200)]
    impossible = [h for h in heads if tax_code_check_digit(h) is None]
    assert impossible
    for head in impossible:
        for digit in "0123456789":
            with pytest.raises(InvalidInput):
                tax_code(head + digit)


async def test_register_and_invite(citizen: CitizenFactory, browsers: BrowserFactory) -> None:
    owner, owner_id = await citizen(full_name="Hoàng Văn Chủ")
    code = valid_tax_code(owner_id * 7919 + 1234567)
    created = await owner.post(
        "/api/organisations",
        {"name": "Hộ kinh doanh Hoàng Gia", "tax_code": code, "address": "12 Lê Lợi, Thanh Hóa"},
    )
    assert created.status_code == 201, created.text
    organisation = created.json()
    assert organisation["my_role"] == "owner" and organisation["tax_code"] == code

    invite = await owner.post(f"/api/organisations/{organisation['id']}/invitations")
    assert invite.status_code == 201
    url = invite.json()["url"]
    member, member_id = await citizen(full_name="Trần Thị Viên")
    info = await member.get(f"/api/invitations/{token_of(url)}")
    assert info.json()["organisation_name"] == "Hộ kinh doanh Hoàng Gia"
    joined = await member.post(f"/api/invitations/{token_of(url)}/accept")
    assert joined.status_code == 201, joined.text
    assert joined.json()["my_role"] == "member"

    # The link is spent.
    third, _ = await citizen()
    reused = await third.post(f"/api/invitations/{token_of(url)}/accept")
    assert reused.status_code == 410 and "một lần" in reused.json()["error"]["message_vi"]
    assert (await third.get(f"/api/organisations/{organisation['id']}")).status_code == 404

    detail = (await member.get(f"/api/organisations/{organisation['id']}")).json()
    assert {m["account_id"]: m["role"] for m in detail["members"]} == {
        owner_id: "owner",
        member_id: "member",
    }
    # Members see the organisation but only the owner invites or removes.
    assert (
        await member.post(f"/api/organisations/{organisation['id']}/invitations")
    ).status_code == 403
    assert (
        await member.delete(f"/api/organisations/{organisation['id']}/members/{owner_id}")
    ).status_code == 403
    removed = await owner.delete(f"/api/organisations/{organisation['id']}/members/{member_id}")
    assert removed.status_code == 204
    assert (await member.get(f"/api/organisations/{organisation['id']}")).status_code == 404
    assert (
        await owner.delete(f"/api/organisations/{organisation['id']}/members/{owner_id}")
    ).status_code == 409
    events = [e["event"] for e in await audit_events(member_id)]
    assert "invitation_accepted" in events and "member_removed" in events


async def test_bad_organisations_change_nothing(citizen: CitizenFactory) -> None:
    owner, _ = await citizen()
    before = (await Organisation.count(), await Membership.count())
    for body, field in [
        ({"name": "Công ty A", "tax_code": "0100233480", "address": "1 Trần Phú"}, "tax_code"),
        ({"name": "Công ty A", "tax_code": "12345", "address": "1 Trần Phú"}, "tax_code"),
        ({"name": "A", "tax_code": "0100233488", "address": "1 Trần Phú"}, "name"),
        ({"name": "Công ty A", "tax_code": "0100233488", "address": ""}, "address"),
    ]:
        response = await owner.post("/api/organisations", body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == field
        assert response.json()["error"]["message_en"]
    assert (await Organisation.count(), await Membership.count()) == before


async def test_registration_reports_every_field_at_once(citizen: CitizenFactory) -> None:
    owner, _ = await citizen()
    response = await owner.post(
        "/api/organisations", {"name": " A ", "tax_code": "0100233480", "address": "1"}
    )
    assert response.status_code == 422, response.text
    problems = {p["name"]: p["reason_vi"] for p in response.json()["invalid_params"]}
    assert list(problems) == ["name", "tax_code", "address"]
    assert "chữ số kiểm tra" in problems["tax_code"]


async def test_a_tax_code_is_registered_once(citizen: CitizenFactory) -> None:
    first, first_id = await citizen()
    second, _ = await citizen()
    code = valid_tax_code(first_id * 104729 + 7)
    body = {"name": "Công ty B", "tax_code": code, "address": "2 Trần Phú, Thanh Hóa"}
    assert (await first.post("/api/organisations", body)).status_code == 201
    again = await second.post("/api/organisations", body)
    assert again.status_code == 409 and again.json()["error"]["field"] == "tax_code"


async def test_an_expired_invitation(citizen: CitizenFactory, clock: Clock) -> None:
    owner, owner_id = await citizen()
    code = valid_tax_code(owner_id * 15485863 + 11)
    organisation = (
        await owner.post(
            "/api/organisations",
            {"name": "Công ty C", "tax_code": code, "address": "3 Lý Thường Kiệt"},
        )
    ).json()
    url = (await owner.post(f"/api/organisations/{organisation['id']}/invitations")).json()["url"]
    clock.advance(days=7, seconds=1)
    late, _ = await citizen()
    response = await late.post(f"/api/invitations/{token_of(url)}/accept")
    assert response.status_code == 410 and "hết hạn" in response.json()["error"]["message_vi"]


async def test_officials_do_not_join_organisations(staff: StaffFactory) -> None:
    official, _ = await staff("reception")
    assert (await official.get("/api/organisations")).status_code == 403
