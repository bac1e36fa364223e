from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from backend.db import Database

logger = logging.getLogger("motcua.health")


class Health(msgspec.Struct):
    status: str


class HealthApi(Controller):
    tags = ["health"]

    @get("/healthz", operation_id="healthz", summary="The process is up")
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get("/readyz", operation_id="readyz", summary="The database answers")
    async def readyz(self, database: NamedDependency[Database]) -> Response[Any]:
        try:
            await database.ping()
        except Exception:  # any failure means "not ready"; the reason goes to the log
            logger.exception("database not reachable")
            return Response(
                Health(status="database unavailable"), status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        return Response(Health(status="ok"))
