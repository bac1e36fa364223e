"""The channels on offer, by name, built from the settings: a provider whose settings
are unset is not offered. Adding a provider is adding its module and a line here."""

from __future__ import annotations

from collections.abc import Callable

from backend.notifications.channels import email, sms_esms, zns
from backend.notifications.channels.base import Channel
from backend.settings import Settings

# In the order the settings page lists them. One provider a channel name: the first
# configured one wins.
PROVIDERS: tuple[tuple[str, Callable[[Settings], Channel | None]], ...] = (
    ("zns", zns.from_settings),
    ("sms", sms_esms.from_settings),
    ("email", email.from_settings),
)


def channels_of(settings: Settings) -> dict[str, Channel]:
    offered: dict[str, Channel] = {}
    for name, build in PROVIDERS:
        if name not in offered and (channel := build(settings)) is not None:
            offered[name] = channel
    return offered
