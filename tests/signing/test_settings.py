"""Key custody from the settings: the test CA taken only outside production, half a
configuration named, and the test CA refused in production, by the settings and by the
command that makes it."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend import vapid
from backend.settings import Settings, SettingsError
from backend.signing.testca import LocalCa
from tests.support.pki import signing_env
from tests.test_cli import MOTCUA

PRODUCTION = {
    "MOTCUA_ENV": "production",
    "MOTCUA_DEMO": "false",
    "MOTCUA_PUBLIC_URL": "https://motcua.example.vn",
    "MOTCUA_SECRET_KEY": "x" * 40,
    "MOTCUA_VAPID_SUBJECT": "mailto:motcua@example.gov.vn",
}


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"MOTCUA_DATA_DIR": str(tmp_path / "data"), **values}


def test_no_keys_no_signing_and_the_data_dirs_test_ca_outside_production(
    tmp_path: Path,
) -> None:
    assert not Settings.from_env(env(tmp_path)).signing.enabled
    pki = tmp_path / "data" / "pki"
    ca = LocalCa.create(pki)
    ca.issue("000.01.40.H56", "UBND phường Hạc Thành")
    signing = Settings.from_env(env(tmp_path)).signing
    assert signing.enabled and signing.keys_dir == pki / "keys"
    assert signing.passphrase == ca.passphrase.decode()
    assert signing.trust_roots == (pki / "root.pem",) and signing.tsa == str(pki / "tsa.p12")
    assert "passphrase" not in repr(signing).replace("passphrase=", "")  # not printed


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"MOTCUA_SIGNING_KEYS": "/nowhere/keys"}, "MOTCUA_SIGNING_KEYS: /nowhere/keys is not"),
        (
            {"MOTCUA_SIGNING_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so"},
            "MOTCUA_SIGNING_PKCS11_TOKEN: is required",
        ),
        (
            {"MOTCUA_SIGNING_PKCS11_TOKEN": "motcua", "MOTCUA_SIGNING_PKCS11_PIN": ""},
            "MOTCUA_SIGNING_PKCS11_PIN: is required",
        ),
        ({"MOTCUA_SIGNING_TRUST_ROOTS": "/nowhere/root.pem"}, "TRUST_ROOTS: /nowhere/root.pem"),
        ({"MOTCUA_SIGNING_TSA": "/nowhere/tsa.p12"}, "neither an address nor a file"),
    ],
)
def test_a_bad_signing_setting_names_its_variable(
    tmp_path: Path, values: dict[str, str], words: str
) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env(tmp_path, **values))


def test_keys_need_their_trust_roots_and_a_root_must_be_a_certificate(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    with pytest.raises(SettingsError, match="MOTCUA_SIGNING_TRUST_ROOTS: is required"):
        Settings.from_env(env(tmp_path, MOTCUA_SIGNING_KEYS=str(keys)))
    bogus = tmp_path / "root.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(SettingsError, match="is not a certificate"):
        Settings.from_env(
            env(tmp_path, MOTCUA_SIGNING_KEYS=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(bogus))
        )


def national_root(path: Path) -> Path:
    """A root certificate such as the national root CA's: no test mark."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Root CA quốc gia (giả lập)")])
    now = dt.datetime.now(dt.UTC)
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return path


def test_production_refuses_the_test_ca_and_a_timestamping_key_in_a_file(
    tmp_path: Path,
) -> None:
    production = {**PRODUCTION, "MOTCUA_VAPID_PRIVATE_KEY": vapid.new_key_pair()[0]}
    configured = signing_env()
    with pytest.raises(SettingsError, match=r"MOTCUA_SIGNING_TRUST_ROOTS: .* is the test CA"):
        Settings.from_env(env(tmp_path, **production, **configured))
    # Its own data dir's test CA is not even looked at.
    LocalCa.create(tmp_path / "data" / "pki")
    assert not Settings.from_env(env(tmp_path, **production)).signing.enabled

    real = {
        **configured,
        "MOTCUA_SIGNING_TRUST_ROOTS": str(national_root(tmp_path / "root.pem")),
    }
    with pytest.raises(SettingsError, match="MOTCUA_SIGNING_TSA: must be the address"):
        Settings.from_env(env(tmp_path, **production, **real))
    real["MOTCUA_SIGNING_TSA"] = ""
    with pytest.raises(SettingsError, match="MOTCUA_SIGNING_TSA: is required"):
        Settings.from_env(env(tmp_path, **production, **real))
    real["MOTCUA_SIGNING_TSA"] = "https://tsa.example.gov.vn/tsa"
    assert Settings.from_env(env(tmp_path, **production, **real)).signing.enabled


def test_the_command_makes_a_test_ca_revokes_and_refuses_production(tmp_path: Path) -> None:
    out = tmp_path / "pki"
    made = subprocess.run(
        [
            MOTCUA,
            "signing-test-ca",
            "--out",
            str(out),
            "--agency",
            "000.01.40.H56=UBND phường Hạc Thành",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MOTCUA_DATA_DIR": str(tmp_path / "data")},
    )
    assert made.returncode == 0, made.stderr
    assert f"MOTCUA_SIGNING_KEYS={out / 'keys'}" in made.stdout
    assert (out / "keys" / "000.01.40.H56.p12").is_file()
    assert oct((out / "root-key.pem").stat().st_mode)[-3:] == "600"
    again = subprocess.run(
        [MOTCUA, "signing-test-ca", "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert again.returncode == 1 and "already holds files" in again.stderr
    refused = subprocess.run(
        [MOTCUA, "signing-test-ca", "--out", str(tmp_path / "prod")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MOTCUA_ENV": "production"},
    )
    assert refused.returncode == 2 and "refused in production" in refused.stderr
    assert not (tmp_path / "prod").exists()
