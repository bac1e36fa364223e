"""The inbox: every notice a person got, newest first, whether or not a push reached
a device; read when opened, or all at once."""

from __future__ import annotations

import msgspec
from piccolo.query.functions.aggregate import Count

from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.errors import NotFound
from backend.i18n import N_, Localized
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.schemas import NoticePage, NoticeRead
from backend.notifications.service.notices import (
    NoticeRow,
    agency_names,
    notice_text,
    notice_url,
)
from backend.notifications.tables import Notice

PAGE_SIZE = 30
COLUMNS = (
    Notice.id,
    Notice.account_id,
    Notice.kind,
    Notice.dossier_id,
    Notice.code,
    Notice.status,
    Notice.due_date,
    Notice.agency_code,
    Notice.created_at,
    Notice.read_at,
)


def _notice_read(
    notice: NoticeRow, lang: str, agencies: dict[str, Localized] | None = None
) -> NoticeRead:
    title, body = notice_text(notice, lang, agencies)
    return NoticeRead(
        id=notice.id,
        kind=notice.kind,
        dossier_id=notice.dossier_id,
        code=notice.code,
        status=notice.status,
        title=title,
        body=body,
        url=notice_url(notice),
        created_at=notice.created_at,
        read_at=notice.read_at,
    )


async def unread_count(account_id: int) -> int:
    return int(
        await Notice.count().where((Notice.account_id == account_id) & Notice.read_at.is_null())
    )


async def unread_counts(account_ids: set[int]) -> dict[int, int]:
    """Each person's unread count, in one query (a push carries it for the badge)."""
    rows = (
        await Notice.select(Notice.account_id, Count(Notice.id, alias="unread"))
        .where(Notice.account_id.is_in(sorted(account_ids)) & Notice.read_at.is_null())
        .group_by(Notice.account_id)
    )
    counts = {int(row["account_id"]): int(row["unread"]) for row in rows}
    return {account_id: counts.get(account_id, 0) for account_id in account_ids}


async def list_notices(principal: Principal, page: int = 1, lang: str = "vi") -> NoticePage:
    mine = Notice.account_id == principal.account_id
    rows = (
        await Notice.select(*COLUMNS)
        .where(mine)
        .order_by(Notice.id, ascending=False)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    notices = msgspec.convert(rows, list[NoticeRow])
    agencies = await agency_names(notices)
    return NoticePage(
        items=[_notice_read(notice, lang, agencies) for notice in notices],
        unread=await unread_count(principal.account_id),
        page=page,
        page_size=PAGE_SIZE,
        total=await Notice.count().where(mine),
    )


async def mark_read(
    runtime: NotificationsRuntime, principal: Principal, notice_id: int, lang: str = "vi"
) -> NoticeRead:
    condition = (Notice.id == notice_id) & (Notice.account_id == principal.account_id)
    async with write_transaction():
        await Notice.update({Notice.read_at: runtime.now()}).where(
            condition & Notice.read_at.is_null()
        )
        rows = await Notice.select(*COLUMNS).where(condition)
    if not rows:
        raise NotFound(N_("Không tìm thấy thông báo này."), field="notice")
    notice = msgspec.convert(rows[0], NoticeRow)
    return _notice_read(notice, lang, await agency_names([notice]))


async def mark_all_read(runtime: NotificationsRuntime, principal: Principal) -> None:
    async with write_transaction():
        await Notice.update({Notice.read_at: runtime.now()}).where(
            (Notice.account_id == principal.account_id) & Notice.read_at.is_null()
        )
