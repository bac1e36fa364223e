"""Deleting one's account: what goes, what stays (pseudonymised), the refusals (an
official, a sole owner, a wrong word, no CSRF token, a second time), and afterwards:
the old session and passkey refused, the agency still holding the dossier, a new
sign-up with the same phone number starting empty."""

from __future__ import annotations

import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.service import Client
from backend.accounts.tables import Account, Identity, Passkey, RecoveryCode, Session
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.tables import Dossier
from backend.errors import NotFound
from backend.feedback.tables import Rating
from backend.notifications.tables import Preference
from backend.payments.runtime import PaymentsRuntime
from backend.payments.tables import Payment, PaymentDossier, Receipt
from backend.privacy import service as privacy
from tests.accounts.helpers import Browser, audit_events, token_of
from tests.dossiers.conftest import AGENCY, PersonFactory
from tests.payments.conftest import LICENCE_AGENCY, organisation_of
from tests.privacy.conftest import download, give_everything, open_archive, send_form, sign_up

PAGE = "/tai-khoan/xoa"
CLIENT = Client(address="10.9.9.9", device="test")


async def test_deletion_removes_the_person_and_keeps_the_records(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Hoàng Thị Xuân")
    held = await give_everything(payments_app, runtime, payments, people, lan)
    await Preference.insert(Preference(account_id=lan.id, email="xuan@example.vn"))
    draft_file = held.draft.files[0]
    storage = payments_app.state["privacy"].storage
    draft_key = (await dossiers_file_keys(held.draft.id))[0]
    assert await storage.get(draft_key)
    old_cookie = lan.browser.session
    phone = lan.browser.phone

    page = await lan.browser.get(PAGE)
    assert page.status_code == 200
    assert "Những gì được giữ lại" in page.text and 'name="confirm"' in page.text

    done = await send_form(lan.browser, PAGE, {"confirm": "xóa"})
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/tai-khoan/da-xoa")
    assert (
        'motcua_session=""' in done.headers["set-cookie"]
        or "Max-Age=0" in done.headers["set-cookie"]
    )
    shown = await lan.browser.get(done.headers["location"])
    assert "Tài khoản đã được xóa" in shown.text and "Hoàng Thị Xuân" not in shown.text

    # Gone: every way in, the draft and its file, the notification settings.
    [row] = await Account.select().where(Account.id == lan.id)
    assert row["full_name"] == f"Người dùng đã xóa #{lan.id}"
    assert row["phone"] is None and row["email"] is None and row["citizen_id"] is None
    assert row["address"] == "" and row["disabled_at"] is not None
    for table in (Passkey, Session, RecoveryCode, Identity):
        assert await table.count().where(table.account == lan.id) == 0  # type: ignore[attr-defined]
    assert await Preference.count().where(Preference.account_id == lan.id) == 0
    assert await Dossier.count().where(Dossier.id == held.draft.id) == 0
    assert draft_file.id and await dossiers_file_keys(held.draft.id) == []
    with pytest.raises(NotFound):  # the draft's file is no longer kept
        await storage.get(draft_key)

    # Kept: the submitted dossiers (their applicant fields, unlinked), payments,
    # receipts and ratings (unlinked).
    [paid] = await Dossier.select().where(Dossier.id == held.paid.id)
    assert paid["owner_id"] is None and paid["applicant_phone"] == "0912345678"
    assert paid["applicant_name"] == held.paid.applicant_name and paid["code"] == held.paid.code
    [link] = await PaymentDossier.select().where(PaymentDossier.dossier_id == held.paid.id)
    assert await Receipt.count().where(Receipt.payment == link["payment"]) == 1
    assert await Payment.count().where(Payment.id == link["payment"]) == 1
    [rating] = await Rating.select().where(Rating.dossier_id == held.rated.id)
    assert rating["account_id"] is None and rating["overall"] == 4
    official = await people("staff", "reception", agency=LICENCE_AGENCY)
    seen = await dossiers.get_dossier(runtime, official, held.paid.id)
    assert seen.code == held.paid.code and seen.applicant_phone == "0912345678"
    assert seen.form_data["licence_number"] == "790123456789"

    # The audit log says it happened, with counts only; the chain is whole.
    [entry] = await audit_events(subject_id=lan.id, event="account_deleted")
    assert entry["details"]["passkeys"] == 1 and entry["details"]["sessions"] >= 1
    assert "Xuân" not in str(entry) and str(phone) not in str(entry)
    assert (await accounts.verify_audit_chain()).broken is None

    # The old cookie and the old passkey let nobody in.
    lan.browser.client.cookies.set("motcua_session", str(old_cookie))
    again = await lan.browser.get("/tai-khoan/thiet-bi")
    assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")
    assert (await lan.browser.get("/api/account")).status_code == 401
    lan.browser.client.cookies.clear()
    assert (await lan.browser.sign_in()).status_code != 200

    # A second deletion: nobody signed in to ask, and the service knows it is done.
    lan.browser.client.cookies.set("motcua_session", str(old_cookie))
    second = await send_form(lan.browser, PAGE, {"confirm": "XÓA"})
    assert second.status_code in {303, 403}
    assert second.headers.get("location", "/dang-nhap").startswith("/dang-nhap")
    with pytest.raises(NotFound):  # a second deletion does not go through
        await privacy.delete_account(payments_app.state["privacy"], lan.principal, "XÓA", CLIENT)

    # The same phone signs up again: a new account, with nothing in it.
    lan.browser.client.cookies.clear()
    again_person = await sign_up(payments_app, open_browsers, "Hoàng Thị Xuân", phone=phone)
    assert again_person.id != lan.id
    archive = open_archive((await download(again_person)).content)
    assert archive.data["dossiers"] == [] and archive.data["payments"] == []
    assert archive.data["ratings"] == []


async def dossiers_file_keys(dossier_id: int) -> list[str]:
    from backend.dossiers.tables import DossierFile

    rows = await DossierFile.select(DossierFile.storage_key).where(
        DossierFile.dossier == dossier_id
    )
    return [row["storage_key"] for row in rows]


async def test_the_word_must_be_typed_and_the_form_must_be_ours(
    payments_app: Litestar, open_browsers: list[Browser]
) -> None:
    lan = await sign_up(payments_app, open_browsers, "Bùi Thị Yến")
    wrong = await send_form(lan.browser, PAGE, {"confirm": "có"})
    assert wrong.status_code == 422 and "Hãy gõ chữ XÓA để xác nhận." in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    forged = await lan.browser.client.post(PAGE, data={"confirm": "XÓA"})
    assert forged.status_code == 403
    api = await lan.browser.client.post("/api/account/delete", json={"confirm": "XÓA"})
    assert api.status_code == 403
    [row] = await Account.select(Account.full_name).where(Account.id == lan.id)
    assert row["full_name"] == "Bùi Thị Yến"
    assert await Passkey.count().where(Passkey.account == lan.id) == 1


async def test_an_official_is_refused(
    payments_app: Litestar, people: PersonFactory, open_browsers: list[Browser]
) -> None:
    from tests.feedback.conftest import official_browser

    official = await official_browser(payments_app, open_browsers, "reception", AGENCY)
    page = await official.browser.get("/tai-khoan/du-lieu")
    assert 'id="staff-no-delete"' in page.text and 'href="/tai-khoan/xoa"' not in page.text
    refused = await send_form(official.browser, PAGE, {"confirm": "XÓA"})
    assert refused.status_code == 403 and "Tài khoản cán bộ không tự xóa được" in refused.text
    api = await official.browser.post("/api/account/delete", {"confirm": "XÓA"})
    assert api.status_code == 403
    [row] = await Account.select(Account.full_name, Account.disabled_at).where(
        Account.id == official.principal.account_id
    )
    assert row["full_name"] == "Cán bộ reception" and row["disabled_at"] is None


async def test_the_only_owner_of_an_organisation_with_members_is_refused(
    payments_app: Litestar, open_browsers: list[Browser]
) -> None:
    owner = await sign_up(payments_app, open_browsers, "Ngô Văn Chủ")
    member = await sign_up(payments_app, open_browsers, "Ngô Thị Viên")
    organisation_id = await organisation_of(payments_app, owner.principal, owner.id * 7919)
    runtime = payments_app.state["accounts"]
    link = await accounts.create_invitation(runtime, owner.principal, organisation_id, CLIENT)
    await accounts.accept_invitation(runtime, member.principal, token_of(link.url), CLIENT)
    name = (await accounts.get_organisation(owner.principal, organisation_id)).name

    refused = await send_form(owner.browser, PAGE, {"confirm": "XÓA"})
    assert refused.status_code == 409 and name in refused.text
    api = await owner.browser.post("/api/account/delete", {"confirm": "XOA"})
    assert api.status_code == 409 and name in api.text

    # A member leaves nobody behind: deleted; then the owner, alone, may go too, the
    # organisation staying for its records (claimable through the service centre).
    gone = await member.browser.post("/api/account/delete", {"confirm": "XOA"})
    assert gone.status_code == 200, gone.text
    assert gone.json() == {
        "drafts": 0,
        "dossiers_kept": 0,
        "bookings_cancelled": 0,
        "tickets_left": 0,
    }
    assert (await send_form(owner.browser, PAGE, {"confirm": "XÓA"})).status_code == 303
