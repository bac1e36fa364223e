"""msgspec Structs of the notifications API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Lang = Literal["vi", "en"]
# base64url without padding: a P-256 point is 65 bytes (87 characters), a secret 16 (22).
P256dh = Annotated[str, msgspec.Meta(min_length=80, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")]
AuthSecret = Annotated[
    str, msgspec.Meta(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+=*$")
]
Endpoint = Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]


class SubscriptionKeys(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    p256dh: P256dh
    auth: AuthSecret


class SubscriptionIn(msgspec.Struct, kw_only=True):
    """``PushSubscription.toJSON()`` and the language of the page that subscribed."""

    endpoint: Endpoint
    keys: SubscriptionKeys
    expirationTime: int | None = None  # the browser's own name
    lang: Lang = "vi"


class SubscriptionChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """From the service worker's ``pushsubscriptionchange``: it has no CSRF token, so it
    proves itself with the old subscription's endpoint and secret."""

    old_endpoint: Endpoint
    old_auth: AuthSecret
    subscription: SubscriptionIn


class Unsubscribe(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    endpoint: Endpoint


class Subscribed(msgspec.Struct, kw_only=True):
    id: int


class PublicKey(msgspec.Struct, kw_only=True):
    public_key: str


class NoticeRead(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    dossier_id: int | None
    code: str | None
    status: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticePage(msgspec.Struct, kw_only=True):
    items: list[NoticeRead]
    unread: int
    page: int
    page_size: int
    total: int


class UnreadCount(msgspec.Struct, kw_only=True):
    unread: int


class Preferences(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    muted: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=20)]
    # Issue 16, read only here (the settings page changes them): the channels beside
    # push each kind goes by ({"dossier.received": ["sms", "email"]}), and the address
    # e-mails go to when it is not the account's.
    channels: dict[str, list[str]] = msgspec.field(default_factory=dict)
    email: str = ""
