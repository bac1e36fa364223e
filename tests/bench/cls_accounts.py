"""Layout shift (CLS) of the sign-in and sign-up pages, as a first-time visitor on a
cheap phone sees them (issue 16: Lighthouse measured 0.12 and 0.11).

    .venv/bin/python tests/bench/cls_accounts.py [--runs 3]

Starts ``motcua serve`` on SQLite in a temp dir (reached as http://localhost, a secure
context, so passkeys and their autofill are offered), opens each page in Debian's
Chromium at 360x740 with 4x CPU throttling and a slow-4G profile (150 ms, 1.6 Mbit/s)
and a virtual authenticator without passkeys (the background autofill request then
waits, as on a phone), sums the ``layout-shift`` entries without recent input for
3 s after load, and prints each page's CLS, the elements that moved, and whether an
error box is visible before anyone did anything. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from playwright.async_api import BrowserContext, Page, async_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, MOBILE_USER_AGENT  # noqa: E402
from tests.e2e.server import MotcuaServer  # noqa: E402

PAGES = ["/dang-nhap?next=/p/1.002809/nop", "/dang-ky?next=/p/1.002809/nop"]
OBSERVE = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shifts.push({
      value: entry.value,
      sources: (entry.sources || []).map((source) => {
        const node = source.node;
        if (!node || !node.tagName) return "?";
        return node.tagName.toLowerCase() + (node.id ? "#" + node.id : "");
      }),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


class LocalhostServer(MotcuaServer):
    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


async def throttled(context: BrowserContext, page: Page) -> None:
    cdp = await context.new_cdp_session(page)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 150,
            "downloadThroughput": 1.6 * 1024 * 1024 / 8,
            "uploadThroughput": 750 * 1024 / 8,
        },
    )
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


async def measure(context: BrowserContext, path: str) -> dict[str, Any]:
    page = await context.new_page()
    await throttled(context, page)
    await page.goto(path, wait_until="load")
    await page.wait_for_timeout(3000)
    shifts: list[dict[str, Any]] = await page.evaluate("window.__shifts")
    error_shown = await page.locator("#script-error").is_visible()
    await page.close()
    return {
        "cls": sum(shift["value"] for shift in shifts),
        "sources": sorted({source for shift in shifts for source in shift["sources"]}),
        "error_shown": error_shown,
    }


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = LocalhostServer(Path(folder))
        await asyncio.to_thread(server.start)
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                for path in PAGES:
                    results = []
                    for _ in range(runs):
                        # A first visit each time: nothing cached, no service worker.
                        context = await browser.new_context(
                            base_url=server.url,
                            viewport={"width": 360, "height": 740},
                            device_scale_factor=2,
                            is_mobile=True,
                            has_touch=True,
                            user_agent=MOBILE_USER_AGENT,
                            locale="vi-VN",
                        )
                        await context.add_init_script(OBSERVE)
                        results.append(await measure(context, path))
                        await context.close()
                    values = [result["cls"] for result in results]
                    sources = sorted({s for result in results for s in result["sources"]})
                    errors = sum(result["error_shown"] for result in results)
                    print(
                        f"{path:<34} CLS median {statistics.median(values):.3f} "
                        f"max {max(values):.3f} over {runs} run(s); moved: "
                        f"{', '.join(sources) or 'nothing'}; error box before any action: "
                        f"{errors}/{runs}"
                    )
                await browser.close()
        finally:
            await asyncio.to_thread(server.stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args().runs))
