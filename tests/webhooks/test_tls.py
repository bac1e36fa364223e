"""The pinned connection over TLS: the sender connects to the address it resolved, and
the certificate is still checked against the subscription's name (SNI), so a server at
that address with a certificate for another name is refused."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.webhooks.runtime import WebhooksRuntime
from tests.webhooks.conftest import CENTRE, Staff, drain, new_dossier, payment_event, subscribe
from tests.webhooks.receiver import Receiver

NAME = "hooks.example.test"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificates(folder: Path, server_name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A CA, a server certificate for ``server_name`` signed by it: the server's TLS
    context, and a client context trusting that CA only."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Webhook test CA"))
        .issuer_name(_name("Webhook test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(server_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


@pytest.mark.parametrize(("certified", "delivered"), [(NAME, True), ("other.example.test", False)])
async def test_tls_to_the_pinned_address_checks_the_name(
    hooks: WebhooksRuntime, staff: Staff, tmp_path: Path, certified: str, delivered: bool
) -> None:
    server, client = certificates(tmp_path, certified)
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    hooks.resolve = resolve
    hooks.trust = client
    try:
        admin = await staff("catalogue", CENTRE)
        async with Receiver(tls=server) as receiver:
            created = await subscribe(
                admin, url=f"https://{NAME}:{receiver.port}/hook", events=["payment.settled"]
            )
            receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
            lookups.clear()
            await payment_event(new_dossier())
            await drain(hooks)
            log = (
                await admin.get(
                    f"/api/webhooks/subscriptions/{created['subscription']['id']}/deliveries"
                )
            ).json()
    finally:
        hooks.trust = None
    assert lookups == [NAME]
    if delivered:
        [received] = receiver.received
        assert received.verified
        assert received.host == f"{NAME}:{receiver.port}"
        assert log[0]["status"] == "delivered"
    else:
        assert receiver.received == []
        assert log[0]["status"] == "pending"
        assert log[0]["last_status_code"] is None
        assert (
            "CERTIFICATE_VERIFY_FAILED" in log[0]["last_error"]
            or "certificate" in log[0]["last_error"].lower()
        )
