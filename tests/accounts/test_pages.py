"""The accounts pages: in Vietnamese and English, no inline script or style, an
explanation when JavaScript is off, and the plain forms that work without it."""

from __future__ import annotations

import re

import pytest

from backend.accounts.tables import AuditEvent, Passkey
from tests.accounts.conftest import BrowserFactory, CitizenFactory, StaffFactory
from tests.accounts.helpers import ORIGIN, Browser, scan
from tests.support.authenticator import SoftAuthenticator


def form_token(browser: Browser) -> dict[str, str]:
    return {"_csrf_token": browser.client.cookies["csrftoken"]}


@pytest.mark.parametrize("path", ["/dang-ky", "/dang-nhap", "/khoi-phuc"])
async def test_public_pages(browser: Browser, path: str) -> None:
    response = await browser.get(path)
    assert response.status_code == 200
    html = response.text
    assert response.headers["cache-control"] == "no-store"
    assert "<noscript>" in html  # passkeys need JavaScript: said plainly
    # The form is laid out from the first paint (nothing moves when the script comes),
    # its button disabled until the script takes over: never a plain GET of the fields.
    form = re.search(r'<form [^>]*data-passkey="[^"]+"[^>]*>.*?</form>', html, re.S)
    assert form and " hidden" not in form.group(0).split(">")[0]
    assert 'class="js-only"' in form.group(0)  # hidden by the no-script sheet
    assert '<button type="submit" disabled' in form.group(0)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert 'type="module" src="/static/' in html
    english = await browser.get(path, headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text
    assert "JavaScript" in english.text


async def test_sign_in_page_offers_passkey_autofill(browser: Browser) -> None:
    html = (await browser.get("/dang-nhap?next=/to-chuc")).text
    assert 'autocomplete="username webauthn"' in html
    assert 'data-next="/to-chuc"' in html
    assert "khoi-phuc" in html and "/dang-ky" in html
    # Anywhere else leads home (tests/accounts/test_destination.py tries the tricks).
    assert 'data-next="/"' in (await browser.get("/dang-nhap?next=//evil.example")).text


async def test_the_header_links_to_the_account(browser: Browser) -> None:
    # Signed out, the header offers signing in, not an account (issue 16).
    home = (await browser.get("/")).text
    assert 'href="/tai-khoan"' not in home and 'href="/dang-nhap?next=/"' in home
    response = await browser.get("/tai-khoan")
    assert response.headers["location"] == "/tai-khoan/thiet-bi"
    response = await browser.get("/tai-khoan/thiet-bi?xong=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/dang-nhap?next=/tai-khoan/thiet-bi%3Fxong%3D1"


async def test_signed_in_people_skip_the_sign_in_and_sign_up_pages(citizen: CitizenFactory) -> None:
    person, _ = await citizen()
    assert (await person.get("/dang-nhap?next=/to-chuc")).headers["location"] == "/to-chuc"
    assert (await person.get("/dang-ky?next=/to-chuc")).headers["location"] == "/to-chuc"
    assert (await person.get("/dang-ky")).headers["location"] == "/"


async def test_devices_page_forms_work_without_javascript(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, account_id = await citizen(full_name="Mai Anh Đào")
    await person.add_passkey(SoftAuthenticator("EdDSA"), name="Máy tính bảng")
    laptop = await browsers(authenticator=person.authenticator)
    await laptop.sign_in()
    html = (await person.get("/tai-khoan/thiet-bi")).text
    assert "Mai Anh Đào" in html and "Máy tính bảng" in html
    assert "Còn 10 mã khôi phục chưa dùng." in html
    assert 'name="_csrf_token"' in html
    passkeys = (
        await Passkey.select(Passkey.id).where(Passkey.account == account_id).order_by(Passkey.id)
    )

    renamed = await person.client.post(
        f"/tai-khoan/thiet-bi/khoa/{passkeys[1]['id']}/doi-ten",
        data={**form_token(person), "name": "Máy của bà"},
    )
    assert renamed.status_code == 303 and renamed.headers["location"].endswith("xong=doi-ten")
    assert "Đã đổi tên khóa truy cập." in (await person.get(renamed.headers["location"])).text
    empty = await person.client.post(
        f"/tai-khoan/thiet-bi/khoa/{passkeys[1]['id']}/doi-ten",
        data={**form_token(person), "name": ""},
    )
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    # The message sits next to the input it is about, and the summary links to it.
    assert f'id="name-{passkeys[1]["id"]}-error"' in empty.text
    assert f'href="#name-{passkeys[1]["id"]}"' in empty.text

    removed = await person.client.post(
        f"/tai-khoan/thiet-bi/khoa/{passkeys[1]['id']}/xoa", data=form_token(person)
    )
    assert removed.status_code == 303
    last = await person.client.post(
        f"/tai-khoan/thiet-bi/khoa/{passkeys[0]['id']}/xoa", data=form_token(person)
    )
    assert last.status_code == 409 and "duy nhất" in last.text

    sessions = (await person.get("/api/account/sessions")).json()
    other = next(s for s in sessions if not s["current"])
    ended = await person.client.post(
        f"/tai-khoan/thiet-bi/phien/{other['id']}/ket-thuc", data=form_token(person)
    )
    assert ended.status_code == 303
    assert (await laptop.get("/api/account/")).status_code == 401

    # A form without the CSRF token is refused.
    forged = await person.client.post(f"/tai-khoan/thiet-bi/khoa/{passkeys[0]['id']}/xoa")
    assert forged.status_code == 403

    signed_out = await person.client.post("/dang-xuat", data=form_token(person))
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/"
    assert (await person.get("/api/account/")).status_code == 401
    assert await AuditEvent.exists().where(
        (AuditEvent.subject_id == account_id) & (AuditEvent.event == "sign_out")
    )


async def test_organisation_pages_without_javascript(citizen: CitizenFactory) -> None:
    owner, owner_id = await citizen()
    await owner.get("/to-chuc")
    bad = await owner.client.post(
        "/to-chuc",
        data={
            **form_token(owner),
            "name": "Hợp tác xã Lúa Vàng",
            "tax_code": "0100233480",
            "address": "Xã Quảng Phú",
        },
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text and 'href="#tax_code"' in bad.text
    assert 'value="Hợp tác xã Lúa Vàng"' in bad.text  # what was typed is kept

    # Every field's problem at once, each next to its input.
    several = await owner.client.post(
        "/to-chuc",
        data={**form_token(owner), "name": "A", "tax_code": "12345", "address": ""},
    )
    assert several.status_code == 422
    for field in ("name", "tax_code", "address"):
        assert f'href="#{field}"' in several.text and f'id="{field}-error"' in several.text
    too_long = await owner.client.post(
        "/to-chuc",
        data={**form_token(owner), "name": "Hợp tác xã " * 30, "tax_code": "0100233488",
              "address": "Xã Quảng Phú"},
    )  # fmt: skip
    assert too_long.status_code == 422 and 'href="#name"' in too_long.text

    from tests.accounts.test_organisations import valid_tax_code

    code = valid_tax_code(owner_id * 7 + 99991)
    good = await owner.client.post(
        "/to-chuc",
        data={
            **form_token(owner),
            "name": "Hợp tác xã Lúa Vàng",
            "tax_code": code,
            "address": "Xã Quảng Phú",
        },
    )
    assert good.status_code == 303
    page = await owner.client.post(f"{good.headers['location']}/loi-moi", data=form_token(owner))
    link = re.search(r'class="link-box">([^<]+)<', page.text)
    assert link, page.text
    member, _ = await citizen()
    invitation = link.group(1).replace("http://localhost:8000", "")
    shown = await member.get(invitation)
    assert "Hợp tác xã Lúa Vàng" in shown.text
    accepted = await member.client.post(invitation, data=form_token(member))
    assert accepted.status_code == 303 and accepted.headers["location"] == good.headers["location"]
    reused = await member.get(invitation)
    assert reused.status_code == 410


async def test_reenrolment_page_at_the_counter(
    citizen: CitizenFactory, staff: StaffFactory
) -> None:
    person, _ = await citizen()
    officer, _ = await staff("reception")
    await officer.get("/can-bo/cap-lai")
    unchecked = await officer.client.post(
        "/can-bo/cap-lai", data={**form_token(officer), "phone": person.phone or ""}
    )
    assert unchecked.status_code == 422 and "căn cước" in unchecked.text
    assert 'id="identity_checked-error"' in unchecked.text
    both = await officer.client.post("/can-bo/cap-lai", data={**form_token(officer), "phone": "1"})
    assert both.status_code == 422
    assert 'href="#phone"' in both.text and 'href="#identity_checked"' in both.text
    issued = await officer.client.post(
        "/can-bo/cap-lai",
        data={**form_token(officer), "phone": person.phone or "", "identity_checked": "on"},
    )
    # The link is on the page only as a QR code, for the person's own phone to scan.
    assert issued.status_code == 200 and "/kich-hoat/" not in issued.text
    svg = re.search(r"<svg.*?</svg>", issued.text, re.S)
    assert svg
    [url] = scan(svg.group(0))
    enrol_page = await person.get(url.removeprefix(ORIGIN))
    assert enrol_page.status_code == 200 and 'data-token="' in enrol_page.text


async def test_coming_soon_no_longer_answers_for_sign_in(browser: Browser) -> None:
    html = (await browser.get("/dang-nhap")).text
    assert "đang được hoàn thiện" not in html
