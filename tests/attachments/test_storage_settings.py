"""MOTCUA_STORAGE_URL and the MOTCUA_S3_* settings: each bad value stops the start with
one line naming its variable."""

from __future__ import annotations

import pytest

from backend.settings import Settings, SettingsError
from backend.settings.storage import storage_settings

BUCKET = {
    "MOTCUA_STORAGE_URL": "s3://motcua-files/thanh-hoa/prod",
    "MOTCUA_S3_ENDPOINT": "https://s3.example.vn",
    "MOTCUA_S3_ACCESS_KEY": "AKIA",
    "MOTCUA_S3_SECRET_KEY": "secret",
}


def test_unset_means_the_local_folder() -> None:
    storage = storage_settings({}, "production")

    assert not storage.on_s3
    assert storage.timeout_s == 10


def test_a_bucket_with_its_prefix_endpoint_and_keys() -> None:
    storage = storage_settings({**BUCKET, "MOTCUA_S3_TIMEOUT_S": "4"}, "production")

    assert storage.on_s3
    assert (storage.bucket, storage.prefix) == ("motcua-files", "thanh-hoa/prod")
    assert storage.endpoint == "https://s3.example.vn"
    assert storage.region == "us-east-1"
    assert (storage.access_key, storage.secret_key) == ("AKIA", "secret")
    assert storage.timeout_s == 4


def test_no_keys_and_no_endpoint_leave_them_to_the_client() -> None:
    storage = storage_settings({"MOTCUA_STORAGE_URL": "s3://motcua"}, "production")

    assert storage.on_s3 and storage.prefix == "" and storage.endpoint == ""
    assert storage.access_key == storage.secret_key == ""


def test_it_reaches_the_settings(tmp_path: object) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), **BUCKET})

    assert settings.storage.bucket == "motcua-files"


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"MOTCUA_STORAGE_URL": "https://motcua/files"}, "MOTCUA_STORAGE_URL"),
        ({"MOTCUA_STORAGE_URL": "s3:///files"}, "MOTCUA_STORAGE_URL"),
        ({"MOTCUA_STORAGE_URL": "s3://Motcua_Files"}, "MOTCUA_STORAGE_URL"),
        ({"MOTCUA_STORAGE_URL": "s3://motcua/../etc"}, "MOTCUA_STORAGE_URL"),
        ({"MOTCUA_STORAGE_URL": "s3://motcua/files?x=1"}, "MOTCUA_STORAGE_URL"),
        ({"MOTCUA_S3_ENDPOINT": "ftp://s3.example.vn"}, "MOTCUA_S3_ENDPOINT"),
        ({"MOTCUA_S3_ENDPOINT": "http://s3.example.vn"}, "MOTCUA_S3_ENDPOINT"),
        ({"MOTCUA_S3_ENDPOINT": "https://s3.example.vn/bucket"}, "MOTCUA_S3_ENDPOINT"),
        ({"MOTCUA_S3_REGION": "Hà Nội"}, "MOTCUA_S3_REGION"),
        ({"MOTCUA_S3_SECRET_KEY": ""}, "MOTCUA_S3_SECRET_KEY"),
        ({"MOTCUA_S3_ACCESS_KEY": ""}, "MOTCUA_S3_ACCESS_KEY"),
        ({"MOTCUA_S3_TIMEOUT_S": "0"}, "MOTCUA_S3_TIMEOUT_S"),
        ({"MOTCUA_S3_TIMEOUT_S": "soon"}, "MOTCUA_S3_TIMEOUT_S"),
    ],
)
def test_bad_values_name_their_variable(changes: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        storage_settings({**BUCKET, **changes}, "production")

    assert raised.value.variable == variable
    assert "\n" not in str(raised.value)


def test_plain_http_is_for_development_only() -> None:
    env = {**BUCKET, "MOTCUA_S3_ENDPOINT": "http://127.0.0.1:8333"}

    assert storage_settings(env, "development").endpoint == "http://127.0.0.1:8333"
    with pytest.raises(SettingsError, match="MOTCUA_S3_ENDPOINT: must use https in production"):
        storage_settings(env, "production")
