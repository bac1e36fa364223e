"""Every setting: its default, and a bad value that names the variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backend import vapid
from backend.settings import Settings, SettingsError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"MOTCUA_DATA_DIR": str(tmp_path / "data"), **values}


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path))
    assert settings.database_kind == "sqlite"
    assert settings.sqlite_path == (tmp_path / "data" / "motcua.sqlite3").resolve()
    assert settings.public_url == "http://localhost:8000"
    assert settings.demo is True
    assert settings.redis_url is None
    assert settings.environment == "development"


def test_data_dir_defaults_to_var_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).data_dir == (tmp_path / "var").resolve()


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.from_env(env(tmp_path))
    second = Settings.from_env(env(tmp_path))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_postgres_url_switches_the_engine(tmp_path: Path) -> None:
    settings = Settings.from_env(
        env(tmp_path, DATABASE_URL="postgresql://u@db.example:5432/motcua")
    )
    assert settings.database_kind == "postgresql"


def test_public_url_is_normalised_to_its_origin(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path, MOTCUA_PUBLIC_URL="https://motcua.example.vn/"))
    assert settings.public_url == "https://motcua.example.vn"
    assert settings.is_https


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db", "postgresql://"),
        ("DATABASE_URL", "postgresql://localhost", "names no database"),
        ("DATABASE_URL", "postgresql:///motcua", "names no host"),
        ("MOTCUA_PUBLIC_URL", "motcua.example.vn", "origin"),
        ("MOTCUA_PUBLIC_URL", "ftp://motcua.example.vn", "origin"),
        ("MOTCUA_PUBLIC_URL", "https://motcua.example.vn/app", "without a path"),
        ("MOTCUA_SECRET_KEY", "too-short", "at least 32"),
        ("MOTCUA_REDIS_URL", "http://127.0.0.1:6379", "redis://"),
        ("MOTCUA_DEMO", "maybe", "true or false"),
        ("MOTCUA_ENV", "staging", "development, production"),
        ("MOTCUA_DB_POOL_MIN", "zero", "whole number"),
        ("MOTCUA_DB_POOL_MAX", "0", "between 1 and 500"),
        ("MOTCUA_SQLITE_BUSY_TIMEOUT_MS", "-5", "between 0 and"),
        ("MOTCUA_LOG_LEVEL", "LOUD", "DEBUG"),
    ],
)
def test_a_bad_value_names_its_variable(
    tmp_path: Path, variable: str, value: str, words: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env(tmp_path, **{variable: value}))
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert words in str(caught.value)


def test_pool_max_below_min_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MOTCUA_DB_POOL_MAX"):
        Settings.from_env(env(tmp_path, MOTCUA_DB_POOL_MIN="5", MOTCUA_DB_POOL_MAX="2"))


def test_production_requires_a_secret_https_and_no_demo(tmp_path: Path) -> None:
    production = {"MOTCUA_ENV": "production", "MOTCUA_DEMO": "false"}
    with pytest.raises(SettingsError, match="MOTCUA_SECRET_KEY: is required"):
        Settings.from_env(env(tmp_path, MOTCUA_PUBLIC_URL="https://a.vn", **production))
    secret = {"MOTCUA_SECRET_KEY": "x" * 40}
    with pytest.raises(SettingsError, match="MOTCUA_PUBLIC_URL: must use https"):
        Settings.from_env(env(tmp_path, MOTCUA_PUBLIC_URL="http://a.vn", **production, **secret))
    with pytest.raises(SettingsError, match="MOTCUA_DEMO"):
        Settings.from_env(
            env(
                tmp_path,
                MOTCUA_PUBLIC_URL="https://a.vn",
                MOTCUA_ENV="production",
                MOTCUA_DEMO="true",
                **secret,
            )
        )
    with pytest.raises(SettingsError, match="MOTCUA_VAPID_PRIVATE_KEY: is required"):
        Settings.from_env(env(tmp_path, MOTCUA_PUBLIC_URL="https://a.vn", **production, **secret))
    push = {"MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0]}
    with pytest.raises(SettingsError, match="MOTCUA_VAPID_SUBJECT: is required"):
        Settings.from_env(
            env(tmp_path, MOTCUA_PUBLIC_URL="https://a.vn", **production, **secret, **push)
        )
    push["MOTCUA_VAPID_SUBJECT"] = "mailto:motcua@thanhhoa.gov.vn"
    ok = Settings.from_env(
        env(tmp_path, MOTCUA_PUBLIC_URL="https://a.vn", **production, **secret, **push)
    )
    assert ok.demo is False
    assert not (tmp_path / "data" / "secret_key").exists()
    assert not (tmp_path / "data" / "vapid_private_key").exists()
    with pytest.raises(SettingsError, match="MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK"):
        Settings.from_env(
            env(
                tmp_path,
                MOTCUA_PUBLIC_URL="https://a.vn",
                MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK="true",
                **production,
                **secret,
                **push,
            )
        )


def test_vapid_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.from_env(env(tmp_path))
    assert first.vapid_private_key == Settings.from_env(env(tmp_path)).vapid_private_key
    assert vapid.public_key(first.vapid_private_key).startswith("B")  # an uncompressed point
    key_file = tmp_path / "data" / "vapid_private_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.worker_in_process is True
    on_postgres = Settings.from_env(env(tmp_path, DATABASE_URL="postgresql://h/db"))
    assert on_postgres.worker_in_process is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOTCUA_VAPID_PRIVATE_KEY", "not-a-key"),
        ("MOTCUA_VAPID_PRIVATE_KEY", vapid.b64url(b"\x00" * 31)),
        ("MOTCUA_VAPID_SUBJECT", "mailto:ops@localhost"),
        ("MOTCUA_VAPID_SUBJECT", "http://motcua.vn"),
        ("MOTCUA_VAPID_SUBJECT", "ops@motcua.vn"),
        ("MOTCUA_PUSH_TIMEOUT_S", "0"),
    ],
)
def test_bad_push_settings_name_their_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env(tmp_path, **{name: value}))


def test_unwritable_data_dir_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="MOTCUA_DATA_DIR"):
        Settings.from_env({"MOTCUA_DATA_DIR": str(blocker / "data")})


def test_gateways_are_off_until_configured(tmp_path: Path) -> None:
    settings = Settings.from_env(env(tmp_path))
    assert (settings.vnpay_tmn_code, settings.vietqr_bank_bin) == ("", "")
    assert settings.vnpay_pay_url.startswith("https://sandbox.vnpayment.vn/")
    assert settings.payment_expiry_minutes == 15
    configured = Settings.from_env(
        env(
            tmp_path,
            MOTCUA_VNPAY_TMN_CODE="MOTCUA99",
            MOTCUA_VNPAY_HASH_SECRET="S" * 32,
            MOTCUA_VNPAY_PAY_URL="https://pay.vnpay.vn/vpcpay.html",
            MOTCUA_VIETQR_BANK_BIN="970436",
            MOTCUA_VIETQR_ACCOUNT="0011001234567",
            MOTCUA_VIETQR_WEBHOOK_SECRET="w" * 40,
            MOTCUA_PAYMENT_EXPIRY_MINUTES="20",
        )
    )
    assert configured.vnpay_tmn_code == "MOTCUA99"
    assert configured.vnpay_pay_url == "https://pay.vnpay.vn/vpcpay.html"
    assert configured.vietqr_account == "0011001234567"
    assert configured.payment_expiry_minutes == 20


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"MOTCUA_VNPAY_TMN_CODE": "MOTCUA99"}, "MOTCUA_VNPAY_HASH_SECRET"),
        ({"MOTCUA_VNPAY_HASH_SECRET": "S" * 32}, "MOTCUA_VNPAY_TMN_CODE"),
        ({"MOTCUA_VNPAY_TMN_CODE": "MÃ SAI", "MOTCUA_VNPAY_HASH_SECRET": "S"}, "TMN_CODE"),
        ({"MOTCUA_VNPAY_PAY_URL": "ftp://pay.vnpay.vn"}, "MOTCUA_VNPAY_PAY_URL"),
        ({"MOTCUA_VIETQR_BANK_BIN": "970436"}, "MOTCUA_VIETQR_ACCOUNT"),
        (
            {
                "MOTCUA_VIETQR_BANK_BIN": "97043",
                "MOTCUA_VIETQR_ACCOUNT": "1",
                "MOTCUA_VIETQR_WEBHOOK_SECRET": "w" * 40,
            },
            "MOTCUA_VIETQR_BANK_BIN",
        ),
        (
            {
                "MOTCUA_VIETQR_BANK_BIN": "970436",
                "MOTCUA_VIETQR_ACCOUNT": "1",
                "MOTCUA_VIETQR_WEBHOOK_SECRET": "short",
            },
            "MOTCUA_VIETQR_WEBHOOK_SECRET",
        ),
        ({"MOTCUA_PAYMENT_EXPIRY_MINUTES": "1"}, "MOTCUA_PAYMENT_EXPIRY_MINUTES"),
    ],
)
def test_half_a_gateway_is_refused(tmp_path: Path, values: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env(tmp_path, **values))


def test_production_gateways_use_https(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MOTCUA_VNPAY_API_URL"):
        Settings.from_env(
            env(
                tmp_path,
                MOTCUA_ENV="production",
                MOTCUA_SECRET_KEY="k" * 40,
                MOTCUA_PUBLIC_URL="https://motcua.example.vn",
                MOTCUA_VAPID_PRIVATE_KEY=vapid.new_key_pair()[0],
                MOTCUA_VAPID_SUBJECT="mailto:ops@motcua.example.vn",
                MOTCUA_VNPAY_API_URL="http://vnpay.example/api",
            )
        )
