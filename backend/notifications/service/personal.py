"""A person's notification settings, subscriptions and inbox for their data archive,
and their removal when the account is deleted (``backend.privacy``): nothing more is
sent to them, by push, SMS, Zalo or e-mail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from backend.db import write_transaction
from backend.notifications.tables import ChannelJob, Notice, Preference, PushJob, PushSubscription


async def notifications_of_person(account_id: int) -> dict[str, Any]:
    preferences = (
        await Preference.select(
            Preference.muted, Preference.channels, Preference.email, Preference.lang
        )
        .where(Preference.account_id == account_id)
        .output(load_json=True)
    )
    subscriptions = await PushSubscription.select(
        PushSubscription.endpoint,
        PushSubscription.lang,
        PushSubscription.created_at,
        PushSubscription.last_sent_at,
    ).where(PushSubscription.account_id == account_id)
    notices = await Notice.select(
        Notice.kind,
        Notice.code,
        Notice.status,
        Notice.due_date,
        Notice.agency_code,
        Notice.created_at,
        Notice.read_at,
    ).where(Notice.account_id == account_id)
    return {
        "preferences": preferences[0] if preferences else None,
        # The push service's host only: the endpoint's path is the device's address
        # there, a secret of the browser's.
        "push_subscriptions": [
            {**row, "endpoint": urlsplit(row["endpoint"]).hostname or ""} for row in subscriptions
        ],
        "notices": notices,
    }


async def forget_recipient(account_id: int) -> int:
    """Subscriptions, channels, preferences, the inbox and what was still to be sent
    to them: gone. Answers how many subscriptions were."""
    async with write_transaction():
        subscriptions = (
            await PushSubscription.delete()
            .where(PushSubscription.account_id == account_id)
            .returning(PushSubscription.id)
        )
        ids = [row["id"] for row in subscriptions]
        if ids:
            await PushJob.delete().where(
                PushJob.subscription_id.is_in(ids) & (PushJob.status == "pending")
            )
        notices = [
            row["id"]
            for row in await Notice.select(Notice.id).where(Notice.account_id == account_id)
        ]
        if notices:
            await ChannelJob.delete().where(
                ChannelJob.notice_id.is_in(notices) & (ChannelJob.status == "pending")
            )
            await PushJob.delete().where(
                PushJob.notice_id.is_in(notices) & (PushJob.status == "pending")
            )
        await Notice.delete().where(Notice.account_id == account_id)
        await Preference.delete().where(Preference.account_id == account_id)
    return len(ids)
