"""Officials: ``motcua create-staff``, enrolment links (24 hours, once), and what an
administrator may do with the officials of their agency."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.accounts import service
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import StaffCreate
from tests.accounts.conftest import BrowserFactory, StaffFactory
from tests.accounts.helpers import AGENCY, OTHER_AGENCY, Clock, audit_events, enrol, token_of
from tests.support.databases import POSTGRES_URL, fresh_postgres


def run_motcua(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    motcua = str(Path(sys.executable).with_name("motcua"))
    return subprocess.run(
        [motcua, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_create_staff_command_prints_a_one_time_link(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_") and k != "DATABASE_URL"
    }
    env.update(
        MOTCUA_DATA_DIR=str(tmp_path),
        MOTCUA_LOG_LEVEL="WARNING",
        MOTCUA_PUBLIC_URL="https://motcua.example.vn",
    )
    if POSTGRES_URL:
        env["DATABASE_URL"] = await fresh_postgres("accounts_cli")

    async def motcua(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(run_motcua, list(args), env)

    assert (await motcua("seed-demo")).returncode == 0
    done = await motcua(
        "create-staff", "--name", "Lê Thị Hoa", "--agency", AGENCY, "--role", "admin"
    )
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip().splitlines()[-1]
    assert link.startswith("https://motcua.example.vn/kich-hoat/") and len(token_of(link)) >= 43
    bad = await motcua("create-staff", "--name", "X Y", "--agency", "nope", "--role", "admin")
    assert bad.returncode == 2 and "No agency has the code nope" in bad.stderr
    wrong_role = await motcua("create-staff", "--name", "X Y", "--agency", AGENCY, "--role", "boss")
    assert wrong_role.returncode == 2 and "invalid choice" in wrong_role.stderr
    # The province's catalogue administrator is made here, and only here.
    province = await motcua(
        "create-staff", "--name", "Trịnh Văn Tỉnh", "--agency", AGENCY, "--role", "catalogue"
    )
    assert province.returncode == 0, province.stderr
    assert "(catalogue, " in province.stdout
    helped = await motcua("create-staff", "--help")
    assert "catalogue" in helped.stdout and "the province's catalogue administrator" in (
        " ".join(helped.stdout.split())
    )


async def test_an_enrolment_link_works_once(
    runtime: AccountsRuntime, browsers: BrowserFactory
) -> None:
    created = await service.create_staff(
        runtime, StaffCreate(full_name="Vũ Minh", role="processing", agency_code=AGENCY)
    )
    first = await browsers()
    response = await enrol(first, created.enrolment.url)
    assert response.status_code == 201
    account = response.json()["account"]
    assert account["kind"] == "staff" and account["role"] == "processing"
    assert account["agency_code"] == AGENCY and response.json()["recovery_codes"] == []
    second = await browsers()
    again = await second.post(
        "/api/auth/enrolment/options", {"token": token_of(created.enrolment.url)}
    )
    assert again.status_code == 410 and "một lần" in again.json()["error"]["message_vi"]
    page = await second.get(f"/kich-hoat/{token_of(created.enrolment.url)}")
    assert page.status_code == 410


async def test_an_expired_enrolment_link(
    runtime: AccountsRuntime, browsers: BrowserFactory, clock: Clock
) -> None:
    created = await service.create_staff(
        runtime, StaffCreate(full_name="Đỗ Hải", role="leader", agency_code=AGENCY)
    )
    browser = await browsers()
    token = token_of(created.enrolment.url)
    options = await browser.post("/api/auth/enrolment/options", {"token": token})
    assert options.status_code == 200
    clock.advance(hours=24, seconds=1)
    credential = browser.authenticator.create(options.json(), "http://localhost:8000")
    refused = await browser.post("/api/auth/enrolment", {"token": token, "credential": credential})
    assert refused.status_code == 410 and "hết hạn" in refused.json()["error"]["message_vi"]
    assert browser.session is None
    failures = await audit_events(created.official.id, "enrolment_failed")
    assert failures == [] or failures[-1]["details"]["reason"] == "link_unusable"


async def test_an_unknown_enrolment_link(browsers: BrowserFactory) -> None:
    browser = await browsers()
    response = await browser.post("/api/auth/enrolment/options", {"token": "A" * 43})
    assert response.status_code == 404
    assert (await browser.get("/kich-hoat/" + "A" * 43)).status_code == 404


async def test_administrators_manage_officials_of_their_agency(
    staff: StaffFactory, browsers: BrowserFactory
) -> None:
    admin, admin_id = await staff("admin")
    created = await admin.post(
        "/api/staff/officials", {"full_name": "Ngô Văn Tư", "role": "reception"}
    )
    assert created.status_code == 201, created.text
    official_id = created.json()["official"]["id"]
    assert created.json()["official"]["agency_code"] == AGENCY
    newcomer = await browsers()
    assert (await enrol(newcomer, created.json()["enrolment"]["url"])).status_code == 201

    listed = (await admin.get("/api/staff/officials")).json()
    assert official_id in [o["id"] for o in listed]
    assert all(o["agency_code"] == AGENCY for o in listed)

    promoted = await admin.patch(f"/api/staff/officials/{official_id}", {"role": "leader"})
    assert promoted.json()["role"] == "leader"
    change = (await audit_events(official_id, "role_changed"))[-1]
    assert change["actor_id"] == admin_id
    assert change["details"] == {"role": "leader", "previous": "reception"}
    # The new role takes effect at the next sign-in: the old sessions ended.
    assert (await newcomer.get("/api/account/")).status_code == 401

    disabled = await admin.patch(f"/api/staff/officials/{official_id}", {"disabled": True})
    assert disabled.json()["disabled"] is True
    assert (await newcomer.sign_in()).status_code == 403

    # Not their own account, and not another agency's officials (404).
    assert (
        await admin.patch(f"/api/staff/officials/{admin_id}", {"role": "reception"})
    ).status_code == 409
    other_admin, _ = await staff("admin", OTHER_AGENCY)
    assert (
        await other_admin.patch(f"/api/staff/officials/{official_id}", {"disabled": False})
    ).status_code == 404
    assert (
        await other_admin.post(f"/api/staff/officials/{official_id}/enrolment")
    ).status_code == 404
    refused = await other_admin.post(
        "/api/staff/officials", {"full_name": "Ai Đó", "role": "reception", "agency_code": AGENCY}
    )
    assert refused.status_code == 403

    relink = await admin.post(f"/api/staff/officials/{official_id}/enrolment")
    assert relink.status_code == 201 and "/kich-hoat/" in relink.json()["url"]


async def test_officials_only_join_agencies_the_catalogue_knows(runtime: AccountsRuntime) -> None:
    """Accounts asks the catalogue through the lookup create_app hands it; a runtime
    made without one knows no agency, so it creates no official."""
    from backend.accounts.runtime import no_agencies
    from backend.errors import InvalidInput

    def refused(error: InvalidInput) -> dict[str | None, str]:
        return {problem.field: problem.message.render("en") for problem in error.problems}

    with pytest.raises(InvalidInput) as unknown:
        await service.create_staff(
            runtime, StaffCreate(full_name="Vũ Minh", role="processing", agency_code="nope")
        )
    assert refused(unknown.value) == {"agency_code": "No agency has the code nope."}
    bare = dataclasses.replace(runtime, find_agency=no_agencies)
    with pytest.raises(InvalidInput) as unwired:
        await service.create_staff(
            bare, StaffCreate(full_name="Vũ Minh", role="processing", agency_code=AGENCY)
        )
    assert refused(unwired.value) == {"agency_code": f"No agency has the code {AGENCY}."}
    # Every problem of the request at once: the name and the agency.
    with pytest.raises(InvalidInput) as both:
        await service.create_staff(
            runtime, StaffCreate(full_name="X", role="processing", agency_code="nope")
        )
    assert list(refused(both.value)) == ["full_name", "agency_code"]


async def test_the_province_s_catalogue_role_is_not_an_agency_administrator_s_to_give(
    runtime: AccountsRuntime, staff: StaffFactory
) -> None:
    admin, admin_id = await staff("admin")
    refused = await admin.post(
        "/api/staff/officials", {"full_name": "Trần Tỉnh", "role": "catalogue"}
    )
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["field"] == "role" and "quản trị danh mục" in error["message_vi"]
    assert "catalogue administrator" in error["message_en"]
    assert [e for e in await audit_events(event="staff_created") if e["actor_id"] == admin_id] == []

    created = await admin.post(
        "/api/staff/officials", {"full_name": "Lò Văn Ba", "role": "reception"}
    )
    official = created.json()["official"]["id"]
    promoted = await admin.patch(f"/api/staff/officials/{official}", {"role": "catalogue"})
    assert promoted.status_code == 403 and promoted.json()["error"]["field"] == "role"
    listed = {o["id"]: o["role"] for o in (await admin.get("/api/staff/officials")).json()}
    assert listed[official] == "reception"

    # A catalogue administrator who works at this agency is the province's, not the
    # agency's: its administrator neither sees nor changes nor disables them.
    province = await service.create_staff(
        runtime, StaffCreate(full_name="Trịnh Tỉnh", role="catalogue", agency_code=AGENCY)
    )
    province_id = province.official.id
    assert province_id not in {o["id"] for o in (await admin.get("/api/staff/officials")).json()}
    for response in (
        await admin.patch(f"/api/staff/officials/{province_id}", {"disabled": True}),
        await admin.patch(f"/api/staff/officials/{province_id}", {"role": "reception"}),
        await admin.post(f"/api/staff/officials/{province_id}/enrolment"),
    ):
        assert response.status_code == 404
    assert (await audit_events(province_id, "account_disabled")) == []

    # And the catalogue administrator manages no agency's officials.
    catalogue, _ = await staff("catalogue")
    assert (await catalogue.get("/api/staff/officials")).status_code == 403
    assert (
        await catalogue.post("/api/staff/officials", {"full_name": "Ai Đó", "role": "reception"})
    ).status_code == 403
