"""The signing domain's configuration for one app: the key store, the roots a
signature is trusted up to, the timestamping authority, where signed files are kept,
and the public address their QR codes point at."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from litestar.connection import ASGIConnection
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext

from backend.attachments import Storage
from backend.clock import utc_now
from backend.settings import Settings, SigningSettings
from backend.signing.keys import KeyStore, open_key_store
from backend.signing.pdf import load_timestamper

# pyHanko logs every failed path or signature with a traceback at ERROR: a forged file
# sent to the public page is an answer, not an error of ours.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


# Not slotted: the trust roots and the timestamper are loaded once, when first needed.
@dataclass
class SigningRuntime:
    storage: Storage
    public_url: str
    settings: SigningSettings
    production: bool = False
    keys: KeyStore | None = None
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # One signature at a time per process: a PKCS#11 session is not shared between
    # threads, and signing is a burst of CPU the other requests should not queue behind.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def from_settings(cls, settings: Settings, storage: Storage) -> SigningRuntime:
        return cls.of(
            settings.signing,
            storage,
            settings.public_url,
            production=settings.environment == "production",
        )

    @classmethod
    def of(
        cls, signing: SigningSettings, storage: Storage, public_url: str, *, production: bool
    ) -> SigningRuntime:
        return cls(
            storage=storage,
            public_url=public_url,
            settings=signing,
            production=production,
            keys=open_key_store(signing),
        )

    @functools.cached_property
    def trust_roots(self) -> tuple[asn1_x509.Certificate, ...]:
        paths = [str(path) for path in self.settings.trust_roots]
        return tuple(load_certs_from_pemder(paths))  # type: ignore[no-untyped-call]

    @functools.cached_property
    def timestamper(self) -> TimeStamper | None:
        return load_timestamper(self.settings.tsa, self.settings.passphrase.encode())

    def validation(self) -> ValidationContext:
        """For signing, a fresh context each time (it keeps what it fetched): the chain
        must lead to a trust root, and the CRLs it can fetch are embedded."""
        return ValidationContext(
            trust_roots=list(self.trust_roots),
            allow_fetching=self.settings.fetch_revocation,
            revocation_mode="soft-fail",
        )

    def verification_url(self, code: str) -> str:
        return f"{self.public_url}/xac-thuc/{code}"


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> SigningRuntime:
    runtime: SigningRuntime = connection.app.state["signing"]
    return runtime
