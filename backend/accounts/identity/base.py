"""What every identity provider module implements, and what it hands back."""

from __future__ import annotations

from typing import Protocol

import msgspec


class VerifiedIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """Who the provider says signed in: its issuer and subject (stable, opaque) and the
    claims our fields are filled from, each ``None`` where the provider gave none."""

    issuer: str
    subject: str
    full_name: str | None = None
    citizen_id: str | None = None
    phone: str | None = None
    email: str | None = None


class IdentityRefused(Exception):
    """The provider's answer cannot be believed (a forged or stale token, a mismatch):
    the person is not signed in. ``code`` is for the audit log, never shown."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class IdentityUnavailable(Exception):
    """The provider did not answer in time, or answered an error: try again later."""


class IdentityProvider(Protocol):
    # Shown on the sign-in button ("Đăng nhập bằng VNeID").
    name: str
    # The issuer an identity row is kept under.
    issuer: str

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, verifier: str, locale: str
    ) -> str:
        """Where to send the person's browser to sign in."""
        ...

    async def identify(
        self, *, redirect_uri: str, code: str, verifier: str, nonce: str
    ) -> VerifiedIdentity:
        """Redeem the code the provider sent back; raise IdentityRefused or
        IdentityUnavailable."""
        ...

    async def aclose(self) -> None: ...
