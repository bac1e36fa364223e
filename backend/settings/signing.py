"""The agencies' signing keys, trust roots and timestamping authority (issue 17)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from backend.settings.parse import SettingsError, all_or_none, boolean

# What ``motcua signing-test-ca`` writes into a data dir's ``pki`` folder, taken as the
# default outside production; its certificates carry this organisational unit, by which
# production refuses them.
TEST_CA_FOLDER = "pki"
TEST_CA_MARK = "MOTCUA TEST CA - NOT FOR PRODUCTION"


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """The agencies' signing keys (issue 17): a folder of PKCS#12 files or a PKCS#11
    token, each key named by its agency's code; the roots a signature is trusted up to;
    the timestamping authority. Never in the database."""

    keys_dir: Path | None = None
    passphrase: str = field(default="", repr=False)
    pkcs11_module: str = ""
    pkcs11_token: str = ""
    pkcs11_pin: str = field(default="", repr=False)
    trust_roots: tuple[Path, ...] = ()
    # An RFC 3161 server (http:// or https://), or outside production the PKCS#12 file
    # of a timestamping key the app stamps with itself (the test CA's).
    tsa: str = ""
    # CRLs named by a certificate are fetched when a signature is checked.
    fetch_revocation: bool = True

    @property
    def enabled(self) -> bool:
        return self.keys_dir is not None or bool(self.pkcs11_module)


def signing_settings(env: Mapping[str, str], environment: str, data_dir: Path) -> SigningSettings:
    production = environment == "production"
    test_ca = data_dir / TEST_CA_FOLDER
    local = not production and (test_ca / "keys").is_dir()
    keys = env.get("MOTCUA_SIGNING_KEYS", "").strip()
    module = env.get("MOTCUA_SIGNING_PKCS11_MODULE", "").strip()
    if keys and module:
        raise SettingsError(
            "MOTCUA_SIGNING_KEYS", "set it or MOTCUA_SIGNING_PKCS11_MODULE, not both"
        )
    keys_dir = Path(keys).expanduser().resolve() if keys else None
    if keys_dir is None and not module and local:
        keys_dir = test_ca / "keys"
    if keys_dir is not None and not keys_dir.is_dir():
        raise SettingsError("MOTCUA_SIGNING_KEYS", f"{keys_dir} is not a folder")
    token, pin = all_or_none(env, ("MOTCUA_SIGNING_PKCS11_TOKEN", "MOTCUA_SIGNING_PKCS11_PIN"))
    if module and not token:
        raise SettingsError("MOTCUA_SIGNING_PKCS11_TOKEN", "is required with a PKCS#11 module")
    if module and not Path(module).is_file():
        raise SettingsError("MOTCUA_SIGNING_PKCS11_MODULE", f"{module} is not a file")
    passphrase = env.get("MOTCUA_SIGNING_PASSPHRASE", "")
    if not passphrase and keys_dir == test_ca / "keys" and (test_ca / "passphrase").is_file():
        passphrase = (test_ca / "passphrase").read_text().strip()
    roots_raw = env.get("MOTCUA_SIGNING_TRUST_ROOTS", "").strip()
    if roots_raw:
        roots = tuple(Path(part.strip()).expanduser() for part in roots_raw.split(",") if part)
    else:
        roots = (test_ca / "root.pem",) if local else ()
    for root in roots:
        if not root.is_file():
            raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{root} is not a file")
        if _made_by_test_ca(root) and production:
            raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{root} is the test CA")
    tsa = env.get("MOTCUA_SIGNING_TSA", "").strip()
    if not tsa and local and (test_ca / "tsa.p12").is_file():
        tsa = str(test_ca / "tsa.p12")
    if tsa and urlsplit(tsa).scheme not in {"http", "https"}:
        if production:
            raise SettingsError("MOTCUA_SIGNING_TSA", "must be the address of an RFC 3161 server")
        if not Path(tsa).is_file():
            raise SettingsError("MOTCUA_SIGNING_TSA", f"{tsa} is neither an address nor a file")
    if (keys_dir is not None or module) and not roots:
        raise SettingsError(
            "MOTCUA_SIGNING_TRUST_ROOTS", "is required with signing keys (the national root CA)"
        )
    if (keys_dir is not None or module) and production and not tsa:
        raise SettingsError("MOTCUA_SIGNING_TSA", "is required with signing keys in production")
    return SigningSettings(
        keys_dir=keys_dir,
        passphrase=passphrase,
        pkcs11_module=module,
        pkcs11_token=token,
        pkcs11_pin=pin,
        trust_roots=roots,
        tsa=tsa,
        fetch_revocation=boolean(env, "MOTCUA_SIGNING_FETCH_REVOCATION", default=True),
    )


def _made_by_test_ca(path: Path) -> bool:
    """Whether a certificate file (PEM, several, or DER) holds one of the test CA's."""
    data = path.read_bytes()
    try:
        certificates = (
            x509.load_pem_x509_certificates(data)
            if b"-----BEGIN" in data
            else [x509.load_der_x509_certificate(data)]
        )
    except ValueError:
        raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{path} is not a certificate") from None
    return any(
        attribute.value == TEST_CA_MARK
        for certificate in certificates
        for name in (certificate.subject, certificate.issuer)
        for attribute in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    )
