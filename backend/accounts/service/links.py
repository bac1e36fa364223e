"""One-time links (an enrolment link, an invitation): a random token in the URL, its
SHA-256 in the table, usable once before it expires."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Protocol, TypeVar

from backend.accounts.runtime import AccountsRuntime
from backend.errors import AppError, NotFound
from backend.i18n import N_


class LinkUnusable(AppError):
    """An enrolment or invitation link that was used already or has expired."""

    status_code = 410
    code = "link_unusable"


class OneTimeLink(Protocol):
    @property
    def used_at(self) -> dt.datetime | None: ...

    @property
    def expires_at(self) -> dt.datetime: ...


Link = TypeVar("Link", bound=OneTimeLink)


def link_token() -> str:
    return secrets.token_urlsafe(32)


def link_used() -> LinkUnusable:
    return LinkUnusable(
        N_("Liên kết này đã được dùng. Mỗi liên kết chỉ dùng được một lần; hãy xin liên kết mới.")
    )


def usable(runtime: AccountsRuntime, link: Link | None) -> Link:
    """The link found by its token, if it can still be used: known, unused, unexpired."""
    if link is None:
        raise NotFound(
            N_("Liên kết không đúng. Hãy kiểm tra lại, hoặc xin liên kết mới."), field="token"
        )
    if link.used_at is not None:
        raise link_used()
    if link.expires_at <= runtime.clock():
        raise LinkUnusable(N_("Liên kết này đã hết hạn. Hãy xin liên kết mới."))
    return link
