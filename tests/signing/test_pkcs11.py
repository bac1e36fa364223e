"""Keys on a PKCS#11 token, as Vietnamese agencies keep them on a USB token or an HSM:
SoftHSM (Debian's softhsm2) holds the agency's key and certificate, labelled with the
agency's code; the app signs through the module and never sees the key."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from backend.attachments import LocalStorage
from backend.signing import verify
from backend.signing.keys import open_key_store
from backend.signing.runtime import SigningRuntime
from backend.signing.testca import LocalCa
from tests.signing.conftest import a_pdf, signing_settings
from tests.signing.test_pdf import AGENCY, sign

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN = "motcua-test", "246810"


def serial_der(serial: int) -> bytes:
    """The certificate's serial as a DER INTEGER (what PKCS#11 keeps)."""
    body = serial.to_bytes((serial.bit_length() + 8) // 8, "big")
    return bytes([0x02, len(body)]) + body


@pytest.fixture
def token(ca: LocalCa, tmp_path: Path) -> Iterator[str]:
    """A fresh SoftHSM token holding the Hạc Thành ward's key and certificate."""
    if not Path(MODULE).exists() or shutil.which("softhsm2-util") is None:
        pytest.fail("SoftHSM is missing: ./dev test installs Debian's softhsm2")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    util = ["softhsm2-util", "--pin", PIN]
    subprocess.run(
        [*util, "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579"],
        check=True,
        capture_output=True,
    )
    key, certificate, _ = pkcs12.load_key_and_certificates(
        (ca.keys / f"{AGENCY}.p12").read_bytes(), ca.passphrase
    )
    assert key is not None and certificate is not None
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [*util, "--import", str(pem), "--token", TOKEN, "--label", AGENCY, "--id", "01"],
        check=True,
        capture_output=True,
    )
    pem.unlink()
    # softhsm2-util imports keys only: the certificate goes on through the module.
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    with pkcs11.lib(MODULE).get_token(token_label=TOKEN).open(user_pin=PIN, rw=True) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: AGENCY,
                Attribute.ID: b"\x01",
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.ISSUER: certificate.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: serial_der(certificate.serial_number),
            }
        )
    yield TOKEN
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


def test_a_key_on_a_token_signs_and_the_signature_is_valid(
    ca: LocalCa, token: str, tmp_path: Path
) -> None:
    settings = signing_settings(
        ca, keys_dir=None, pkcs11_module=MODULE, pkcs11_token=token, pkcs11_pin=PIN
    )
    runtime = SigningRuntime.of(
        settings, LocalStorage(tmp_path / "files"), "http://localhost:8000", production=False
    )
    try:
        assert runtime.keys is not None
        assert runtime.keys.signer("000.00.12.H56") is None  # no key of that agency
        signed = sign(runtime, a_pdf())
        found = verify.check_pdf(signed, runtime.trust_roots, fetch=False)
        assert found.outcome == "valid"
        assert found.signatures[0].signer_code == AGENCY
    finally:
        if runtime.keys is not None:
            runtime.keys.close()


def test_a_wrong_pin_is_refused_when_the_token_is_opened(ca: LocalCa, token: str) -> None:
    settings = signing_settings(
        ca, keys_dir=None, pkcs11_module=MODULE, pkcs11_token=token, pkcs11_pin="000000"
    )
    store = open_key_store(settings)
    assert store is not None
    with pytest.raises(Exception, match=r"(?i)pin"):
        store.signer(AGENCY)
