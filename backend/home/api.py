from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from backend.accounts.guards import runtime_of as accounts_of
from backend.db import Database, DatabaseUnavailable

logger = logging.getLogger("motcua.health")


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    # Readiness only: "redis", "memory" (no Redis configured), or "degraded" (Redis
    # configured but unreachable: each process counts on its own until it is back).
    rate_limits: str | None = None


class HealthApi(Controller):
    tags = ["health"]

    @get("/healthz", operation_id="healthz", summary="The process is up")
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get("/readyz", operation_id="readyz", summary="The database answers")
    async def readyz(
        self, request: Request[Any, Any, Any], database: NamedDependency[Database]
    ) -> Response[Any]:
        try:
            await database.ping()
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            if isinstance(error, DatabaseUnavailable):  # one line a probe, not a traceback
                fields = {"reason": f"{error}: {error.__cause__!r}"}
                logger.warning("database not reachable", extra={"fields": fields})
            else:
                logger.exception("database not reachable")
            return Response(
                Health(status="database unavailable"),
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(DatabaseUnavailable.retry_after)},
            )
        # The rate-limit store is optional: without it the app still serves (200).
        rate_limits = await accounts_of(request).limiter.state()
        status = "degraded" if rate_limits == "degraded" else "ok"
        return Response(Health(status=status, rate_limits=rate_limits))
