"""The portal adapters: one interface (``base``), one module per target, and this
registry of them by name (``MOTCUA_PORTAL_ADAPTER``). Adding a target is adding a
module and a line below."""

from __future__ import annotations

from backend.portal.adapters import dvcqg
from backend.portal.adapters.base import Adapter, AdapterFactory, Outcome, Outgoing
from backend.settings import PortalSettings, SettingsError

REGISTRY: dict[str, AdapterFactory] = {dvcqg.NAME: dvcqg.make}


def build(settings: PortalSettings) -> Adapter:
    """The configured target's adapter (call only when ``settings.enabled``)."""
    factory = REGISTRY.get(settings.adapter)
    if factory is None:
        known = ", ".join(sorted(REGISTRY))
        raise SettingsError("MOTCUA_PORTAL_ADAPTER", f"must be one of {known} or empty")
    return factory(settings)


__all__ = ["REGISTRY", "Adapter", "AdapterFactory", "Outcome", "Outgoing", "build"]
