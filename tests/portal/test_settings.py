"""The portal's settings (``MOTCUA_PORTAL_*``): off by default, complete or refused,
https in production, a lease longer than a send, and an adapter that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend import vapid
from backend.portal import adapters
from backend.settings import PortalSettings, Settings, SettingsError

PORTAL = {
    "MOTCUA_PORTAL_ADAPTER": "dvcqg",
    "MOTCUA_PORTAL_URL": "https://dvcqg.example.gov.vn/adapter",
    "MOTCUA_PORTAL_USERNAME": "motcua-h56",
    "MOTCUA_PORTAL_PASSWORD": "mat-khau",
    "MOTCUA_PORTAL_UNIT_CODE": "000.00.00.H56",
}


def settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), **extra})


def test_the_portal_is_off_unless_an_adapter_is_named(tmp_path: Path) -> None:
    config = settings(tmp_path).portal
    assert config == PortalSettings() and not config.enabled


def test_a_complete_configuration_is_read(tmp_path: Path) -> None:
    config = settings(tmp_path, **PORTAL, MOTCUA_PORTAL_TIMEOUT_S="5").portal
    assert config.enabled and config.adapter == "dvcqg"
    assert config.base_url == "https://dvcqg.example.gov.vn/adapter"
    assert (config.username, config.unit_code, config.timeout_s) == (
        "motcua-h56",
        "000.00.00.H56",
        5,
    )
    assert isinstance(adapters.build(config), adapters.dvcqg.DvcqgAdapter)


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"MOTCUA_PORTAL_URL": ""}, "MOTCUA_PORTAL_URL"),
        ({"MOTCUA_PORTAL_PASSWORD": ""}, "MOTCUA_PORTAL_PASSWORD"),
        ({"MOTCUA_PORTAL_UNIT_CODE": ""}, "MOTCUA_PORTAL_UNIT_CODE"),
        ({"MOTCUA_PORTAL_URL": "ftp://dvcqg.example"}, "MOTCUA_PORTAL_URL"),
        ({"MOTCUA_PORTAL_ADAPTER": "Cổng quốc gia"}, "MOTCUA_PORTAL_ADAPTER"),
        ({"MOTCUA_PORTAL_TIMEOUT_S": "0"}, "MOTCUA_PORTAL_TIMEOUT_S"),
        ({"MOTCUA_PORTAL_TIMEOUT_S": "30", "MOTCUA_PORTAL_LEASE_S": "60"}, "MOTCUA_PORTAL_LEASE_S"),
        ({"MOTCUA_PORTAL_RESEND_HOUR": "24"}, "MOTCUA_PORTAL_RESEND_HOUR"),
    ],
)
def test_a_bad_configuration_is_refused_naming_its_variable(
    tmp_path: Path, changes: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        settings(tmp_path, **{**PORTAL, **changes})
    assert refused.value.variable == variable


def test_an_adapter_nobody_wrote_is_refused_when_the_worker_starts(tmp_path: Path) -> None:
    config = settings(tmp_path, **{**PORTAL, "MOTCUA_PORTAL_ADAPTER": "cong_tinh"}).portal
    with pytest.raises(SettingsError, match="must be one of dvcqg"):
        adapters.build(config)


def test_production_refuses_a_plain_http_portal(tmp_path: Path) -> None:
    production = {
        "MOTCUA_ENV": "production",
        "MOTCUA_SECRET_KEY": "k" * 40,
        "MOTCUA_PUBLIC_URL": "https://motcua.example.vn",
        "MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0],
        "MOTCUA_VAPID_SUBJECT": "mailto:ops@motcua.example.vn",
    }
    with pytest.raises(SettingsError, match="MOTCUA_PORTAL_URL: must use https in production"):
        settings(tmp_path, **production, **{**PORTAL, "MOTCUA_PORTAL_URL": "http://dvcqg.example"})
    assert settings(tmp_path, **production, **PORTAL).portal.enabled
