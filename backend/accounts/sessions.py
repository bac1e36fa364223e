"""Server-side sessions.

The cookie holds a random 256-bit token; the table holds only its SHA-256 digest
(a copy of the table does not give anyone a session) and a separate public id used
to list and end sessions. A new token at every sign-in. Citizens: a sliding window
(``MOTCUA_SESSION_CITIZEN_DAYS`` since the last request). Officials: an idle timeout
and an absolute lifetime. Disabling an account deletes its sessions, and a session
of a disabled account is refused even if one slipped through.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec

from backend.accounts.runtime import TOUCH_EVERY, AccountsRuntime
from backend.accounts.schemas import Kind, Principal, Role, SessionRead
from backend.accounts.tables import Session
from backend.db import fetch, write_transaction, write_unless_busy
from backend.errors import NotFound
from backend.i18n import N_

# Browsers keep a cookie at most 400 days; the server decides when a session ends.
COOKIE_MAX_AGE = 400 * 24 * 3600


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(
    runtime: AccountsRuntime, account_id: int, device: str, *, method: str = "passkey"
) -> str:
    """A new session, begun by ``method``; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    async with write_transaction():
        await Session.insert(
            Session(
                token_hash=token_digest(token),
                public_id=secrets.token_urlsafe(16),
                account=account_id,
                created_at=now,
                last_seen_at=now,
                device=device[:120],
                method=method,
            )
        )
    return token


# Every signed-in request runs this: fixed SQL text (see backend.db.fetch).
_RESOLVE = (
    "SELECT s.id, s.public_id, s.created_at, s.last_seen_at, s.method, a.id AS account_id, a.kind,"
    " a.full_name AS name, a.role, a.agency_code, a.disabled_at"
    " FROM accounts_session s JOIN accounts_account a ON a.id = s.account"
    " WHERE s.token_hash = {}"
)


# A session's last-seen time is written once a sixtieth of its idle limit has passed,
# and at most once a minute (TOUCH_EVERY): the idle check compares the stored time
# exactly, so an official with a one-minute limit (written every second) is never
# signed out more than a second early, and a busy one costs a write a minute at most.
_TOUCH_FRACTION = 60
_TOUCH = "UPDATE accounts_session SET last_seen_at = {} WHERE id = {}"
_END = "DELETE FROM accounts_session WHERE id = {}"


def touch_every(idle_limit: dt.timedelta) -> dt.timedelta:
    return min(TOUCH_EVERY, idle_limit / _TOUCH_FRACTION)


class _Resolved(msgspec.Struct, frozen=True):
    """A session row with its account, as ``_RESOLVE`` reads it."""

    id: int
    public_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    method: str
    account_id: int
    kind: Kind
    name: str
    role: Role | None
    agency_code: str | None
    disabled_at: dt.datetime | None


async def resolve(runtime: AccountsRuntime, token: str) -> Principal | None:
    rows = await fetch(_RESOLVE, token_digest(token))
    if not rows:
        return None
    row = msgspec.convert(rows[0], _Resolved)
    now = runtime.clock()
    idle = now - row.last_seen_at
    limit = runtime.staff_idle if row.kind == "staff" else runtime.citizen_idle
    expired = idle > limit or (
        row.kind == "staff"
        and (
            now - row.created_at > runtime.staff_absolute
            # Begun before the province required officials to use the identity provider.
            or (runtime.staff_identity_required and row.method != "identity")
        )
    )
    # Reading must not queue behind another writer (on SQLite, a backup or an import
    # holding the lock): these writes are skipped while the lock is taken. The session
    # is refused either way, and its row goes, or its time is written, at a later request.
    if expired or row.disabled_at is not None:
        await write_unless_busy(_END, row.id)
        return None
    if idle >= touch_every(limit):
        await write_unless_busy(_TOUCH, now, row.id)
    return Principal(
        account_id=row.account_id,
        kind=row.kind,
        name=row.name,
        role=row.role,
        agency_code=row.agency_code,
        session_id=row.public_id,
    )


async def end(public_id: str) -> None:
    async with write_transaction():
        await Session.delete().where(Session.public_id == public_id)


async def end_by_token(token: str) -> None:
    async with write_transaction():
        await Session.delete().where(Session.token_hash == token_digest(token))


async def end_for_account(account_id: int, public_id: str) -> None:
    """End one of the person's own sessions; someone else's is "not found"."""
    async with write_transaction():
        rows = (
            await Session.delete()
            .where((Session.public_id == public_id) & (Session.account == account_id))
            .returning(Session.id)
        )
    if not rows:
        raise NotFound(N_("Không tìm thấy phiên đăng nhập này."), field="id")


async def end_all(
    account_id: int, *, keep: str | None = None, since: dt.datetime | None = None
) -> int:
    """End the account's sessions but ``keep``; with ``since``, only those started at or
    after that moment (a counter re-enrolment's, see service/reenrolment.py)."""
    async with write_transaction():
        query = Session.delete().where(Session.account == account_id)
        if keep is not None:
            query = query.where(Session.public_id != keep)
        if since is not None:
            # Compared in Python: SQLite keeps timestamps as text.
            started = await Session.select(Session.id, Session.created_at).where(
                Session.account == account_id
            )
            ids = [row["id"] for row in started if row["created_at"] >= since]
            if not ids:
                return 0
            query = query.where(Session.id.is_in(ids))
        rows = await query.returning(Session.id)
    return len(rows)


async def started_at(account_id: int) -> dict[str, dt.datetime]:
    """When each of the account's sessions began, by public id."""
    rows = await Session.select(Session.public_id, Session.created_at).where(
        Session.account == account_id
    )
    return {str(row["public_id"]): row["created_at"] for row in rows}


async def live_sessions(public_ids: set[str]) -> set[str]:
    """Which of these sessions still exist (for other domains' per-device records:
    signing out of a device ends what was tied to it)."""
    if not public_ids:
        return set()
    rows = await Session.select(Session.public_id).where(
        Session.public_id.is_in(sorted(public_ids))
    )
    return {str(row["public_id"]) for row in rows}


async def list_for(account_id: int, current: str) -> list[SessionRead]:
    rows = (
        await Session.select(
            Session.public_id.as_alias("id"),
            Session.device,
            Session.created_at,
            Session.last_seen_at,
        )
        .where(Session.account == account_id)
        .order_by(Session.last_seen_at, ascending=False)
    )
    return [
        msgspec.convert({**row, "current": row["id"] == current}, SessionRead, strict=False)
        for row in rows
    ]


def device_label(user_agent: str | None) -> str:
    """A short, non-identifying name for a browser: "Chrome · Android"."""
    agent = user_agent or ""
    browser = next(
        (
            name
            for key, name in (
                ("Zalo", "Zalo"),
                ("Edg/", "Edge"),
                ("SamsungBrowser", "Samsung Internet"),
                ("CocCoc", "Cốc Cốc"),
                ("Firefox", "Firefox"),
                ("Chrome", "Chrome"),
                ("Safari", "Safari"),
            )
            if key in agent
        ),
        "",
    )
    system = next(
        (
            name
            for key, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("Linux", "Linux"),
            )
            if key in agent
        ),
        "",
    )
    return " · ".join(part for part in (browser, system) if part) or "?"
