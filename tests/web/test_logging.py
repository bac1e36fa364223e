"""One JSON line per request, with no personal data."""

from __future__ import annotations

import json
import logging

import httpx

from backend.web.middleware import JsonFormatter


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_one_json_line_per_request_without_the_query(client: httpx.AsyncClient) -> None:
    logger = logging.getLogger("motcua.request")
    lines = Lines()
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        await client.get("/thu-tuc", params={"q": "Nguyễn Văn A 0912345678"})
        await client.get("/definitely-missing")
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    assert len(lines.lines) == 2
    first, missing = (json.loads(line) for line in lines.lines)
    assert first["event"] == "request" and first["level"] == "info"
    assert first["method"] == "GET" and first["path"] == "/thu-tuc" and first["status"] == 200
    assert isinstance(first["duration_ms"], float) and len(first["request_id"]) == 16
    assert missing["status"] == 404 and missing["path"] == "/definitely-missing"
    text = "\n".join(lines.lines)
    assert "0912345678" not in text and "Nguy" not in text
