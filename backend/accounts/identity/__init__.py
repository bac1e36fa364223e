"""Identity providers a person can sign in with beside passkeys (issue 18): one
interface, one module per kind of provider, and the registry that picks one from the
settings. VNeID, the national electronic identity, speaks OpenID Connect (``oidc``).

A provider proves who someone is and hands back the claims it verified; what that
means for an account (a new one, a link, a refusal) is ``service/identity.py``'s."""

from __future__ import annotations

from collections.abc import Callable

from backend.accounts.identity.base import (
    IdentityProvider,
    IdentityRefused,
    IdentityUnavailable,
    VerifiedIdentity,
)
from backend.accounts.identity.oidc import OpenIdConnect
from backend.settings import IdentitySettings

__all__ = [
    "IdentityProvider",
    "IdentityRefused",
    "IdentityUnavailable",
    "VerifiedIdentity",
    "provider_from_settings",
]

# One provider per app for now, an OpenID Connect one; another protocol is a module
# and a line here.
PROVIDERS: dict[str, Callable[[IdentitySettings], IdentityProvider]] = {"oidc": OpenIdConnect}


def provider_from_settings(settings: IdentitySettings) -> IdentityProvider | None:
    return PROVIDERS["oidc"](settings) if settings.enabled else None
