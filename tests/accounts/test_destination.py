"""Where the person was going (issue 16): a citizen sent from a procedure's "Nộp trực
tuyến" to ``/dang-nhap?next=/p/1.002809/nop`` gets back there whichever way they sign
in: the sign-in ⇄ sign-up ⇄ recovery links, the passkey API's answers, the page after a
recovery code, the language switch. Anything but a path of this site leads home."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.accounts.conftest import BrowserFactory, CitizenFactory
from tests.accounts.helpers import ORIGIN, Browser, unique_phone

FORM = "/p/1.002809/nop"
# As a query value: what a page gets once the link is decoded.
OFF_SITE = [
    "//evil.example/",
    "https://evil.example/",
    "http:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ok\x7f",
    "javascript:alert(1)",
    "evil.example",
    "",
]


def attribute(page: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*>', page)
    assert tag, f"no #{element_id} on the page"
    value = re.search(rf'\s{name}="([^"]*)"', tag.group(0))
    assert value, f"#{element_id} has no {name}"
    return html_lib.unescape(value.group(1))


def data_next(page: str, form_id: str) -> str:
    return attribute(page, form_id, "data-next")


async def test_each_page_links_to_the_others_with_the_destination(browser: Browser) -> None:
    sign_in = (await browser.get("/dang-nhap", params={"next": FORM})).text
    assert data_next(sign_in, "sign-in-form") == FORM
    assert attribute(sign_in, "sign-up-link", "href") == f"/dang-ky?next={FORM}"
    assert attribute(sign_in, "recovery-link", "href") == f"/khoi-phuc?next={FORM}"

    sign_up = (await browser.get(attribute(sign_in, "sign-up-link", "href"))).text
    assert data_next(sign_up, "sign-up-form") == FORM
    assert attribute(sign_up, "sign-in-link", "href") == f"/dang-nhap?next={FORM}"
    # Without the script the codes' "continue" goes there too.
    assert attribute(sign_up, "codes-done", "href") == FORM

    recovery = (await browser.get(attribute(sign_in, "recovery-link", "href"))).text
    assert data_next(recovery, "recovery-form") == FORM
    assert attribute(recovery, "sign-in-link", "href") == f"/dang-nhap?next={FORM}"


async def test_a_destination_with_its_own_query_survives_the_links(browser: Browser) -> None:
    target = "/tra-cuu?ma=H56.38-261207-0001&x=1"
    sign_in = (await browser.get("/dang-nhap", params={"next": target})).text
    link = attribute(sign_in, "sign-up-link", "href")
    assert link == "/dang-ky?next=/tra-cuu%3Fma%3DH56.38-261207-0001%26x%3D1"
    assert data_next((await browser.get(link)).text, "sign-up-form") == target


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize(
    ("path", "form_id"),
    [("/dang-nhap", "sign-in-form"), ("/dang-ky", "sign-up-form"), ("/khoi-phuc", "recovery-form")],
)
async def test_anywhere_off_site_leads_home(
    browser: Browser, path: str, form_id: str, target: str
) -> None:
    response = await browser.get(path, params={"next": target})
    assert response.status_code == 200
    page = response.text
    assert data_next(page, form_id) == "/"
    # Only the language switch carries the address as it came: back to this same
    # page, which checks it again.
    hrefs = [html_lib.unescape(href) for href in re.findall(r'href="([^"]*)"', page)]
    assert [href for href in hrefs if "evil" in href and not href.startswith("/ngon-ngu?")] == []
    for link in ("sign-in-link", "sign-up-link", "recovery-link"):
        if f'id="{link}"' in page:
            assert "next=" not in attribute(page, link, "href")


async def test_sign_up_answers_with_the_destination(browsers: BrowserFactory) -> None:
    for target, expected in [(FORM, FORM), ("//evil.example/", "/"), (None, "/")]:
        browser = await browsers()
        options = await browser.sign_up_options(phone=unique_phone())
        credential = browser.authenticator.create(options, ORIGIN)
        body = {"credential": credential} | ({"next": target} if target else {})
        response = await browser.post("/api/auth/passkeys/register", body)
        assert response.status_code == 201, response.text
        assert response.json()["next"] == expected
        assert len(response.json()["recovery_codes"]) == 10


async def test_a_recovery_code_leads_to_a_passkey_then_on(
    citizen: CitizenFactory, browsers: BrowserFactory
) -> None:
    person, _ = await citizen()
    answers = []
    targets = [FORM, "https://evil.example/", None]
    for code, target in zip(person.recovery_codes[: len(targets)], targets, strict=True):
        new_phone = await browsers()
        body = {"phone": person.phone, "code": code} | ({"next": target} if target else {})
        response = await new_phone.post("/api/auth/recovery", body)
        assert response.status_code == 200, response.text
        answers.append(response.json()["next"])
        page = (await new_phone.get(answers[-1])).text
        if target == FORM:
            # The devices page asks for a passkey, then goes on; or straight on, later.
            assert data_next(page, "add-passkey-form") == FORM
            assert attribute(page, "skip-to-next", "href") == FORM
        else:
            assert data_next(page, "add-passkey-form") == "/"
            assert 'id="skip-to-next"' not in page
    assert answers == [
        f"/tai-khoan/thiet-bi?them-khoa=1&next={FORM}",
        "/tai-khoan/thiet-bi?them-khoa=1",
        "/tai-khoan/thiet-bi?them-khoa=1",
    ]


async def test_signed_in_people_are_sent_on(citizen: CitizenFactory) -> None:
    person, _ = await citizen()
    for path in ("/dang-nhap", "/dang-ky"):
        response = await person.get(path, params={"next": FORM})
        assert (response.status_code, response.headers["location"]) == (303, FORM)
        evil = await person.get(path, params={"next": "//evil.example/"})
        assert evil.headers["location"] == "/"


async def test_the_language_switch_keeps_the_destination(browser: Browser) -> None:
    page = (await browser.get("/dang-nhap", params={"next": FORM})).text
    switch = re.search(r'href="(/ngon-ngu\?lang=en&amp;next=[^"]+)"', page)
    assert switch, "no language switch"
    response = await browser.get(html_lib.unescape(switch.group(1)))
    assert response.status_code == 303
    back = urlsplit(response.headers["location"])
    assert (back.path, parse_qs(back.query)) == ("/dang-nhap", {"next": [FORM]})
    english = await browser.get(response.headers["location"])
    assert '<html lang="en">' in english.text
    assert data_next(english.text, "sign-in-form") == FORM
