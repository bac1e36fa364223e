"""The channels' settings: unset offers nothing; each provider's settings come
together or not at all; a bad value names its variable; production refuses plain SMTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend import vapid
from backend.notifications.channels.registry import channels_of
from backend.settings import Settings, SettingsError

SMTP = {"MOTCUA_SMTP_HOST": "smtp.example.gov.vn", "MOTCUA_SMTP_FROM": "thongbao@example.gov.vn"}
ESMS = {
    "MOTCUA_ESMS_API_KEY": "key",
    "MOTCUA_ESMS_SECRET_KEY": "secret",
    "MOTCUA_ESMS_BRANDNAME": "MOTCUA",
}
ZNS = {
    "MOTCUA_ZNS_ACCESS_TOKEN": "token",
    "MOTCUA_ZNS_APP_ID": "4361812075662036180",
    "MOTCUA_ZNS_OA_SECRET": "oa-secret",
    "MOTCUA_ZNS_TEMPLATES": "dossier.received=231234, feedback.answered=231235",
}


def settings(tmp_path: Path, **values: str) -> Settings:
    return Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path / "data"), **values})


def test_nothing_is_offered_until_configured(tmp_path: Path) -> None:
    assert channels_of(settings(tmp_path)) == {}
    offered = channels_of(settings(tmp_path, **SMTP, **ESMS, **ZNS))
    assert list(offered) == ["zns", "sms", "email"]
    assert offered["zns"].kinds == {"dossier.received", "feedback.answered"}
    assert offered["sms"].idempotent and not offered["email"].idempotent
    chosen = settings(tmp_path, **SMTP).channels
    assert (chosen.smtp_port, chosen.smtp_security, chosen.channel_timeout_s) == (
        587,
        "starttls",
        10,
    )


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"MOTCUA_SMTP_HOST": "smtp.example.gov.vn"}, "MOTCUA_SMTP_FROM"),
        ({**SMTP, "MOTCUA_SMTP_FROM": "not an address"}, "MOTCUA_SMTP_FROM"),
        ({**SMTP, "MOTCUA_SMTP_USERNAME": "u"}, "MOTCUA_SMTP_PASSWORD"),
        ({**SMTP, "MOTCUA_SMTP_SECURITY": "ssl3"}, "MOTCUA_SMTP_SECURITY"),
        ({**SMTP, "MOTCUA_SMTP_PORT": "70000"}, "MOTCUA_SMTP_PORT"),
        ({"MOTCUA_ESMS_API_KEY": "key"}, "MOTCUA_ESMS_SECRET_KEY"),
        ({**ESMS, "MOTCUA_ESMS_BRANDNAME": "Một Cửa Thanh Hóa"}, "MOTCUA_ESMS_BRANDNAME"),
        ({**ESMS, "MOTCUA_ESMS_API_URL": "ftp://esms"}, "MOTCUA_ESMS_API_URL"),
        ({**ZNS, "MOTCUA_ZNS_TEMPLATES": "dossier.received:231234"}, "MOTCUA_ZNS_TEMPLATES"),
        ({**ZNS, "MOTCUA_ZNS_TEMPLATES": "dossier.received=abc"}, "MOTCUA_ZNS_TEMPLATES"),
        ({"MOTCUA_ZNS_ACCESS_TOKEN": "token"}, "MOTCUA_ZNS_APP_ID"),
        ({"MOTCUA_CHANNEL_TIMEOUT_S": "600"}, "MOTCUA_CHANNEL_TIMEOUT_S"),
    ],
)
def test_bad_values_name_their_variable(
    tmp_path: Path, values: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError) as error:
        settings(tmp_path, **values)
    assert error.value.variable == variable


def test_production_refuses_plain_smtp(tmp_path: Path) -> None:
    production = {
        "MOTCUA_ENV": "production",
        "MOTCUA_DEMO": "false",
        "MOTCUA_PUBLIC_URL": "https://motcua.example.gov.vn",
        "MOTCUA_SECRET_KEY": "s" * 40,
        "MOTCUA_VAPID_SUBJECT": "mailto:it@example.gov.vn",
        "MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0],
    }
    with pytest.raises(SettingsError) as error:
        settings(tmp_path, **production, **SMTP, MOTCUA_SMTP_SECURITY="none")
    assert error.value.variable == "MOTCUA_SMTP_SECURITY"
    assert settings(tmp_path, **production, **SMTP).channels.smtp_security == "starttls"
