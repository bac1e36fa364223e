"""Sending one Web Push message (RFC 8030) with pywebpush's async path: the payload
encrypted for the device (aes128gcm, RFC 8291), signed for our server (VAPID, RFC
8292), over one shared HTTP session. The only module that speaks to push services."""

from __future__ import annotations

import asyncio
from types import TracebackType

import aiohttp
import msgspec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from backend import vapid
from backend.notifications.channels.base import retry_after
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service.delivery import TTL_S, Job, Outcome


class PushSender:
    """Open it as an async context: one connection pool for all sends of a worker."""

    def __init__(self, runtime: NotificationsRuntime, concurrency: int = 64) -> None:
        self.runtime = runtime
        self.key = Vapid02(private_key=vapid.private_key(runtime.vapid_private_key))
        self.limit = asyncio.Semaphore(concurrency)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PushSender:
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.runtime.timeout_s),
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=100),
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.session is not None:
            await self.session.close()

    async def send(self, job: Job) -> Outcome:
        assert self.session is not None, "open the sender first"
        async with self.limit:
            try:
                response = await webpush_async(
                    subscription_info={
                        "endpoint": job.endpoint,
                        "keys": {"p256dh": job.p256dh, "auth": job.auth},
                    },
                    data=msgspec.json.encode(job.payload).decode(),
                    vapid_private_key=self.key,
                    # pywebpush writes aud and exp into this dict: a fresh one each time.
                    vapid_claims={"sub": self.runtime.vapid_subject},
                    ttl=TTL_S,
                    timeout=self.runtime.timeout_s,
                    headers={"Urgency": job.urgency, "Topic": job.topic},
                    aiohttp_session=self.session,
                )
            except WebPushException as error:
                answer = error.response
                if answer is None:
                    return Outcome(None, detail=str(error)[:200])
                status = getattr(answer, "status", None) or getattr(answer, "status_code", None)
                return Outcome(
                    status, retry_after(answer.headers.get("Retry-After")), f"HTTP {status}"
                )
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                return Outcome(None, detail=f"{type(error).__name__}: {error}"[:200])
            if isinstance(response, str):  # only with curl=True
                return Outcome(None, detail="no request made")
            return Outcome(response.status)
