"""Health probes for the proxy and the orchestrator, and the API description."""

from __future__ import annotations

import httpx


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "rate_limits": "memory"}


async def test_openapi_is_served_as_json_without_any_cdn(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Một Cửa API"
    assert "/api/procedures" in schema["paths"]
    for path in ("/schema", "/schema/swagger", "/schema/redoc", "/schema/elements"):
        page = await client.get(path)
        assert "<script" not in page.text, path
        assert "cdn." not in page.text, path
