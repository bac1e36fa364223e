"""Delivery reports from the channels' providers (eSMS's status callback, Zalo's
``user_received_message`` event): each report is kept once (its key is unique), so a
replayed one changes nothing, and a job only moves forward (sent -> delivered or
failed; a report never undoes "delivered")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from backend.db import write_transaction
from backend.errors import Forbidden, NotFound
from backend.i18n import N_
from backend.notifications.channels import sms_esms, zns
from backend.notifications.channels.base import Channel, StatusReport
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.tables import ChannelJob, ChannelReport

Applied = Literal["applied", "replayed", "unknown"]


async def apply_report(
    runtime: NotificationsRuntime, report: StatusReport, job_id: int | None = None
) -> Applied:
    """Record a provider's report on one of our jobs: by ``job_id`` when the report's
    address named it (then the provider's id must match the job's, once known), else
    by the provider's message id."""
    now = runtime.now()
    async with write_transaction():
        where = (ChannelJob.channel == report.channel) & (
            ChannelJob.id == job_id
            if job_id is not None
            else ChannelJob.provider_id == report.provider_id
        )
        rows = await ChannelJob.select(ChannelJob.id, ChannelJob.provider_id).where(where)
        if not rows or rows[0]["provider_id"] not in {None, report.provider_id}:
            return "unknown"
        job = rows[0]["id"]
        kept = (
            await ChannelReport.insert(
                ChannelReport(
                    report_key=report.report_key,
                    job_id=job,
                    at=now,
                    delivered=report.delivered,
                    detail=report.detail[:200],
                )
            )
            .on_conflict(target=ChannelReport.report_key, action="DO NOTHING")
            .returning(ChannelReport.id)
        )
        if not kept:
            return "replayed"
        # A report may come before the worker recorded the send: "sending" moves too,
        # and the worker's record then leaves the job as the report made it.
        await ChannelJob.update(
            {
                ChannelJob.status: "delivered" if report.delivered else "failed",
                ChannelJob.delivered_at: now if report.delivered else None,
                ChannelJob.provider_id: report.provider_id,
                ChannelJob.detail: report.detail[:200],
            }
        ).where((ChannelJob.id == job) & ChannelJob.status.is_in(["sending", "sent", "unknown"]))
    return "applied"


def _refused() -> Forbidden:
    return Forbidden(N_("Báo cáo trạng thái không hợp lệ."), field="signature")


def _channel(runtime: NotificationsRuntime, name: str) -> Channel:
    channel = runtime.channels.get(name)
    if channel is None:
        raise NotFound(N_("Không tìm thấy trang bạn cần."))
    return channel


async def esms_callback(
    runtime: NotificationsRuntime, job_id: int, token: str, query: Mapping[str, str]
) -> Applied | Literal["ignored"]:
    """eSMS's status callback (an HTTP GET to the address we gave with the message):
    the HMAC in its path must be this job's, and its SMSID the job's message."""
    _channel(runtime, "sms")
    if not sms_esms.token_ok(runtime.secret_key, job_id, token):
        raise _refused()
    report = sms_esms.report_of(query)
    if report is None:
        return "ignored"
    applied = await apply_report(runtime, report, job_id)
    if applied == "unknown":
        raise _refused()
    return applied


async def zns_event(
    runtime: NotificationsRuntime, body: bytes, signature: str | None
) -> Applied | Literal["ignored"]:
    """An event of the Official Account's webhook: refused unless signed with the OA's
    secret and recent; a delivery report moves its job, other events are ignored (and
    answered 200, as Zalo requires of a webhook)."""
    channel = _channel(runtime, "zns")
    assert isinstance(channel, zns.ZnsChannel)
    report, problem = zns.verify_event(channel.config, body, signature or "", runtime.now_ms())
    if problem:
        raise _refused()
    if report is None:
        return "ignored"
    return await apply_report(runtime, report)
