"""The identity provider's settings: off until an issuer is named, one way for the
client to authenticate, https outside loopback, the claims mapping as configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joserfc.jwk import ECKey

from backend.settings import Settings, SettingsError
from backend.settings.identity import identity_settings

ISSUER = {
    "MOTCUA_OIDC_ISSUER": "https://vneid.example.gov.vn/",
    "MOTCUA_OIDC_CLIENT_ID": "motcua-thanh-hoa",
    "MOTCUA_OIDC_CLIENT_SECRET": "s3cret-s3cret-s3cret",
}


def load(tmp_path: Path, **values: str) -> Settings:
    return Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path / "data"), **values})


def test_off_by_default_and_on_with_an_issuer(tmp_path: Path) -> None:
    assert not load(tmp_path).identity.enabled
    identity = load(tmp_path, **ISSUER, MOTCUA_OIDC_CLAIMS="citizen_id=so_dinh_danh").identity
    assert identity.enabled
    assert identity.issuer == "https://vneid.example.gov.vn"
    assert identity.name == "VNeID"
    assert identity.claim_of("citizen_id") == "so_dinh_danh"
    assert identity.claim_of("full_name") == "name"
    assert "s3cret" not in repr(identity)


def test_a_private_key_file_instead_of_a_secret(tmp_path: Path) -> None:
    key_file = tmp_path / "client.jwk"
    key_file.write_text(json.dumps(ECKey.generate_key("P-256").as_dict(private=True)))
    values = {**ISSUER, "MOTCUA_OIDC_CLIENT_SECRET": "", "MOTCUA_OIDC_PRIVATE_KEY": str(key_file)}
    identity = load(tmp_path, **values).identity
    assert identity.private_key.startswith("{") and not identity.client_secret


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"MOTCUA_OIDC_ISSUER": "http://vneid.example.gov.vn"}, "MOTCUA_OIDC_ISSUER"),
        ({"MOTCUA_OIDC_ISSUER": "ftp://vneid.example.gov.vn"}, "MOTCUA_OIDC_ISSUER"),
        ({"MOTCUA_OIDC_CLIENT_ID": ""}, "MOTCUA_OIDC_CLIENT_ID"),
        ({"MOTCUA_OIDC_PRIVATE_KEY": "/nowhere/key.pem"}, "MOTCUA_OIDC_CLIENT_SECRET"),
        ({"MOTCUA_OIDC_CLIENT_SECRET": ""}, "MOTCUA_OIDC_CLIENT_SECRET"),
        ({"MOTCUA_OIDC_CLAIMS": "birthday=dob"}, "MOTCUA_OIDC_CLAIMS"),
        ({"MOTCUA_OIDC_SCOPES": "profile"}, "MOTCUA_OIDC_SCOPES"),
        ({"MOTCUA_OIDC_TIMEOUT_S": "0"}, "MOTCUA_OIDC_TIMEOUT_S"),
    ],
)
def test_bad_identity_settings_name_their_variable(
    tmp_path: Path, values: dict[str, str], name: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load(tmp_path, **{**ISSUER, **values})
    assert error.value.variable == name


def test_officials_cannot_be_required_to_use_no_provider(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load(tmp_path, MOTCUA_OIDC_STAFF_REQUIRED="true")
    assert error.value.variable == "MOTCUA_OIDC_STAFF_REQUIRED"


def test_plain_http_only_on_loopback_and_never_in_production(tmp_path: Path) -> None:
    loopback = {**ISSUER, "MOTCUA_OIDC_ISSUER": "http://127.0.0.1:4000"}
    assert load(tmp_path, **loopback).identity.issuer == "http://127.0.0.1:4000"
    with pytest.raises(SettingsError) as error:
        identity_settings(loopback, "production")
    assert error.value.variable == "MOTCUA_OIDC_ISSUER"
