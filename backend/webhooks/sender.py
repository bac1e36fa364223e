"""Sending one delivery: resolved once and pinned (``service.pin``), signed, POSTed
with httpx; redirects never followed, short timeouts, at most a few KiB of the answer
read, no proxy from the environment, and no connection kept between deliveries (two
names on one address must not share a TLS connection checked for one of them)."""

from __future__ import annotations

import asyncio
import time

import httpx

from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.service import signing


class Sender:
    def __init__(self, runtime: WebhooksRuntime) -> None:
        self.runtime = runtime
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Sender:
        timeout = self.runtime.timeout_s
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            trust_env=False,
            verify=self.runtime.trust or True,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=0),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, claim: service.Claim) -> service.Outcome:
        try:
            return await asyncio.wait_for(self._send(claim), self.runtime.timeout_s + 2)
        except TimeoutError:
            return service.Outcome(None, "timed out")

    async def _send(self, claim: service.Claim) -> service.Outcome:
        assert self._client is not None, "enter the sender first"
        try:
            target = await service.pin(self.runtime, claim.url)
        except service.Refused as refused:
            return service.Outcome(None, str(refused))
        headers = signing.headers(claim.event_id, int(time.time()), claim.body, claim.keys)
        headers["Host"] = target.host_header
        extensions = {"sni_hostname": target.sni} if target.sni else {}
        request = self._client.build_request(
            "POST", target.url, content=claim.body, headers=headers, extensions=extensions
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            return service.Outcome(None, f"{type(error).__name__}: {error}"[:300])
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= self.runtime.answer_limit:
                    break
        except httpx.HTTPError:
            pass  # the status is what counts; a body cut short changes nothing
        finally:
            await response.aclose()
        return service.Outcome(response.status_code)
