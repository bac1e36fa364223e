"""A local certificate authority for development and tests (``motcua signing-test-ca``):
a root, a timestamping authority and one signing certificate per agency, laid out as
the settings read them (``backend.settings.TEST_CA_FOLDER``). Every certificate carries
``TEST_CA_MARK``, by which production refuses them."""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.clock import utc_now
from backend.settings import TEST_CA_MARK

ROOT_NAME = "Một Cửa Test Root CA"
# RSA 2048 with SHA-256: what the Vietnamese public CAs issue to agencies.
KEY_BITS = 2048


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _fit(name: str) -> str:
    """A name attribute holds at most 64 bytes of UTF-8: a long agency name is cut at
    a word."""
    while len(name.encode()) > 64:
        name = name.rsplit(" ", 1)[0]
    return name


def _name(common: str, code: str = "") -> x509.Name:
    common = _fit(common)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, common),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_CA_MARK),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ]
    if code:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, code))
    return x509.Name(attributes)


_NO_USAGE = {
    "digital_signature": False,
    "content_commitment": False,
    "key_encipherment": False,
    "data_encipherment": False,
    "key_agreement": False,
    "key_cert_sign": False,
    "crl_sign": False,
    "encipher_only": False,
    "decipher_only": False,
}


class LocalCa:
    """A test CA kept in a folder: ``root.pem`` (the trust root), ``root-key.pem`` (its
    key, under the pass-phrase in ``passphrase``), ``tsa.p12``, ``keys/<agency>.p12``,
    and with a CRL address ``crl.der``, the list of certificates revoked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = folder / "keys"

    @property
    def passphrase(self) -> bytes:
        return (self.folder / "passphrase").read_bytes().strip()

    @functools.cached_property
    def root(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate((self.folder / "root.pem").read_bytes())

    @functools.cached_property
    def root_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(
            (self.folder / "root-key.pem").read_bytes(), self.passphrase
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    @property
    def crl_url(self) -> str:
        path = self.folder / "crl-url"
        return path.read_text().strip() if path.exists() else ""

    @classmethod
    def create(cls, folder: Path, *, crl_url: str = "", name: str = ROOT_NAME) -> LocalCa:
        """A new root and timestamping authority in an empty (or new) folder."""
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            raise FileExistsError(f"{folder} is not empty")
        ca = cls(folder)
        ca.keys.mkdir()
        _private(folder / "passphrase", secrets.token_urlsafe(24).encode())
        if crl_url:
            (folder / "crl-url").write_text(crl_url + "\n")
        key, now = _key(), utc_now()
        root = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(**{**_NO_USAGE, "key_cert_sign": True, "crl_sign": True}),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
        _private(
            folder / "root-key.pem",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(ca.passphrase),
            ),
        )
        ca._issue(folder / "tsa.p12", "Một Cửa Test TSA", "", timestamping=True)
        if crl_url:
            ca.write_crl()
        return ca

    def issue(
        self,
        code: str,
        name: str,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Path:
        """The signing certificate and key of one agency, as ``keys/<code>.p12``."""
        path = self.keys / f"{code}.p12"
        self._issue(path, name, code, not_before=not_before, not_after=not_after)
        return path

    def issue_all(self, agencies: Iterable[tuple[str, str]]) -> list[Path]:
        return [self.issue(code, name) for code, name in agencies]

    def _issue(
        self,
        path: Path,
        name: str,
        code: str,
        *,
        timestamping: bool = False,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> None:
        root, root_key, key, now = self.root, self.root_key, _key(), utc_now()
        usage = {"digital_signature": True, "content_commitment": not timestamping}
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name, code))
            .issuer_name(root.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=3 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**{**_NO_USAGE, **usage}), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if timestamping:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        if self.crl_url:
            point = x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self.crl_url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        certificate = builder.sign(root_key, hashes.SHA256())
        bundle = pkcs12.serialize_key_and_certificates(
            code.encode() or b"tsa",
            key,
            certificate,
            [root],
            serialization.BestAvailableEncryption(self.passphrase),
        )
        _private(path, bundle)

    def certificate(self, code: str) -> x509.Certificate:
        _, certificate, _ = pkcs12.load_key_and_certificates(
            (self.keys / f"{code}.p12").read_bytes(), self.passphrase
        )
        assert certificate is not None
        return certificate

    def revoke(self, code: str) -> None:
        """Put an agency's certificate on the CRL (which the CRL address serves)."""
        serial = self.certificate(code).serial_number
        with (self.folder / "revoked").open("a") as handle:
            handle.write(f"{serial}\n")
        self.write_crl()

    def write_crl(self) -> bytes:
        revoked = self.folder / "revoked"
        serials = [int(line) for line in revoked.read_text().split()] if revoked.exists() else []
        now = utc_now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(len(serials) + 1), critical=False)
        )
        for serial in serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - dt.timedelta(minutes=1))
                .build()
            )
        crl = builder.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        (self.folder / "crl.der").write_bytes(crl)
        return crl


def _private(path: Path, data: bytes) -> None:
    """A key or a pass-phrase: readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
