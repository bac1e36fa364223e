"""The settings page's channels, without JavaScript: a list of boxes per channel on
offer (only the kinds it can carry), the e-mail address, saved per kind; a bad or
missing address refused at its field with the ticks kept; no channel section when no
channel is configured."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from backend.notifications import service
from backend.notifications.runtime import NotificationsRuntime
from backend.settings import Settings
from tests.accounts.helpers import Browser
from tests.notifications.channel_helpers import SENDER, answering_with, with_channels
from tests.notifications.test_pages import citizen, open_browsers, send

__all__ = ["open_browsers"]
SETTINGS = "/tai-khoan/thong-bao"


@pytest.fixture
def notify(dossiers_app: Litestar, settings: Settings) -> NotificationsRuntime:
    return with_channels(
        dossiers_app.state["notifications"],
        settings,
        smtp_host="127.0.0.1",
        smtp_port=2525,
        smtp_from=SENDER,
        smtp_security="none",
        esms_api_key="key",
        esms_secret_key="secret",
        esms_brandname="MOTCUA",
        esms_api_url="http://127.0.0.1:9/",
    )


@pytest.fixture
async def with_sms_and_email(
    dossiers_app: Litestar, notify: NotificationsRuntime
) -> AsyncIterator[None]:
    with answering_with(dossiers_app, notify):
        yield


def ticked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([a-z._]+)" checked', html)


async def test_people_choose_channels_per_kind(
    dossiers_app: Litestar, with_sms_and_email: None, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    html = (await person.browser.get(SETTINGS)).text
    assert "Tin nhắn SMS đến số điện thoại của bạn" in html and "Thư điện tử" in html
    assert re.findall(r'name="channel-sms" value="([a-z._]+)"', html) == list(service.KINDS)
    assert ticked(html, "channel-sms") == [] and ticked(html, "channel-email") == []
    assert 'type="email" id="email" name="email"' in html

    response = await send(
        person.browser,
        SETTINGS,
        [
            ("kind", "dossier.received"),
            ("channel-sms", "dossier.received"),
            ("channel-sms", "dossier.supplement_requested"),
            ("channel-email", "feedback.answered"),
            ("email", " le.thi.thu@example.vn "),
        ],
    )
    assert response.status_code == 303
    preferences = await service.get_preferences(person.principal)
    assert preferences.channels == {
        "dossier.received": ["sms"],
        "dossier.supplement_requested": ["sms"],
        "feedback.answered": ["email"],
    }
    assert preferences.email == "le.thi.thu@example.vn"
    html = (await person.browser.get(SETTINGS)).text
    assert ticked(html, "channel-sms") == ["dossier.received", "dossier.supplement_requested"]
    assert ticked(html, "channel-email") == ["feedback.answered"]
    assert 'value="le.thi.thu@example.vn"' in html


async def test_a_bad_or_missing_address_is_refused_at_its_field(
    dossiers_app: Litestar, with_sms_and_email: None, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    for address, problem in (
        ("", "Hãy nhập địa chỉ thư điện tử để nhận thông báo qua thư."),
        ("thu@", "Địa chỉ thư điện tử không hợp lệ."),
    ):
        response = await send(
            person.browser,
            SETTINGS,
            [("channel-email", "dossier.result_ready"), ("email", address)],
        )
        assert response.status_code == 422
        assert problem in response.text and 'href="#email"' in response.text
        assert ticked(response.text, "channel-email") == ["dossier.result_ready"]
    assert (await service.get_preferences(person.principal)).channels == {}
    # A channel not on offer (a tampered form): refused too.
    response = await send(person.browser, SETTINGS, [("channel-sms", "dossier.exploded")])
    assert response.status_code == 422


async def test_no_channel_section_without_channels(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    html = (await person.browser.get(SETTINGS)).text
    assert "channel-" not in html and 'name="email"' not in html
