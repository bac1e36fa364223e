"""Lighthouse (mobile) and axe-core over every citizen page, on demand (issue 16).

    .venv/bin/python -m tests.audit.lighthouse [--out DIR] [--only PATH ...]

Starts a real ``motcua serve`` on demo data (its own data dir, SQLite), signs a new
citizen up with Chromium's virtual authenticator and starts a draft, then for each
page runs Lighthouse's mobile audit (its default: a Moto G-sized screen, slow 4G and a
4x slower CPU, simulated) with Debian's Chromium, and axe-core in a real Chromium at
360x740. Prints one line a page: performance, accessibility, best practices, CLS, and
axe's violations; the reports go to ``--out``. Exit 1 when a page misses the goals
(performance < 98, accessibility < 100, CLS > 0.02, any axe violation).

Lighthouse and axe-core are npm packages: installed once into ``NODE_DIR``
(``$MOTCUA_AUDIT_NODE_DIR``, default /tmp/motcua-audit) with npm. Not part of
``./dev test``: a run takes some minutes and its figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

from backend.settings import Settings
from backend.tickets import service as tickets
from backend.vietnam import VIETNAM
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, MOBILE_USER_AGENT
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator

NODE_DIR = Path(os.environ.get("MOTCUA_AUDIT_NODE_DIR", "/tmp/motcua-audit"))
PACKAGES = ["lighthouse", "axe-core"]
PROCEDURE = "1.001193"  # birth registration: legal basis, a form template, fees
WARD = "000.01.40.H56"  # its counters receive it: bookings and a queue
DRAFT_PROCEDURE = "2.001680"  # legal aid: a draft a citizen can start online
PUBLIC_PAGES = [
    "/",
    "/quet-ma",
    f"/p/{PROCEDURE}",
    # In English (the language is a cookie, set by the switch, which redirects).
    f"/ngon-ngu?lang=en&next=/p/{PROCEDURE}",
    "/thu-tuc?q=khai+sinh",
    "/tra-cuu",
    "/xac-thuc",
    "/phan-anh/gui",
    "/phan-anh/cong-khai",
    "/thong-ke",
    "/dang-nhap",
    "/dang-ky",
    "/offline.html",
    # Coming to the centre (issue 19): the assistant, the queue's entrance (today's QR
    # code), the hall's screen.
    "/tro-ly",
    "/tro-ly?q=con+toi+moi+sinh+thi+lam+giay+gi",
    "/lay-so/{entrance}",
    "/man-hinh/{display}",
]
CITIZEN_PAGES = [
    "/ho-so",
    "/ho-so/{draft}",
    "/giay-to",
    "/thong-bao",
    "/tai-khoan/thong-bao",
    "/tai-khoan/thiet-bi",
    f"/dat-lich/{PROCEDURE}?co_quan={WARD}",
    "/lich-hen",
]
GOALS = {"performance": 0.98, "accessibility": 1.0, "cls": 0.02}


@dataclass
class Row:
    path: str
    signed_in: bool
    scores: dict[str, float]
    cls: float
    violations: list[str]

    def misses(self) -> list[str]:
        missed = [
            name
            for name in ("performance", "accessibility")
            if self.scores.get(name, 0.0) < GOALS[name]
        ]
        if self.cls > GOALS["cls"]:
            missed.append("cls")
        if self.violations:
            missed.append("axe")
        return missed


def node_packages() -> Path:
    """Lighthouse's command and axe-core's script, installed with npm if missing."""
    lighthouse = NODE_DIR / "node_modules/.bin/lighthouse"
    axe = NODE_DIR / "node_modules/axe-core/axe.min.js"
    if not (lighthouse.exists() and axe.exists()):
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), *PACKAGES],
            check=True,
        )
    return NODE_DIR


def lighthouse(url: str, cookie: str | None, report: Path) -> dict[str, Any] | None:
    """Lighthouse's report of one page; None when it failed twice (it sometimes loses
    its trace on a loaded machine: NO_NAVSTART)."""
    command = [
        str(NODE_DIR / "node_modules/.bin/lighthouse"),
        url,
        "--quiet",
        "--only-categories=performance,accessibility,best-practices",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
        "--output=json",
        f"--output-path={report}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    for _ in range(2):
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
        if done.returncode == 0:
            result: dict[str, Any] = json.loads(report.read_text())
            return result
    return None


async def axe(browser: Browser, url: str, cookies: list[Any]) -> list[str]:
    # bypass_csp: axe's script is evaluated in the page, which our CSP would refuse.
    context = await browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        user_agent=MOBILE_USER_AGENT,
        locale="vi-VN",
        bypass_csp=True,
    )
    await context.add_cookies(cookies)
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    source = (NODE_DIR / "node_modules/axe-core/axe.min.js").read_text()
    await page.evaluate(source)
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map((v) => ({ id: v.id, nodes: v.nodes.length }))"
    )
    await context.close()
    return [f"{v['id']}×{v['nodes']}" for v in found]


async def signed_in_citizen(browser: Browser, base_url: str) -> tuple[list[Any], int]:
    """A new citizen's session cookies, and the id of a draft of theirs."""
    context = await browser.new_context(base_url=base_url, locale="vi-VN")
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Hoàng Thị Kiểm Tra")
    await page.get_by_label("Số điện thoại di động").fill("0915 123 456")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    await page.wait_for_load_state()
    cookies = await context.cookies()
    token = {c["name"]: c["value"] for c in cookies}["csrftoken"]
    draft = await page.request.post(
        "/api/dossiers",
        data={"procedure_code": DRAFT_PROCEDURE, "draft_key": "audit-draft-000001"},
        headers={"x-csrftoken": token},
    )
    if not draft.ok:
        raise RuntimeError(f"no draft: {draft.status} {await draft.text()}")
    draft_id = int((await draft.json())["id"])
    await context.close()
    return cookies, draft_id


def queue_tokens(server: LocalhostServer) -> dict[str, str]:
    """Today's entrance QR code of the ward and its hall screen's link, signed with the
    server's own key."""
    settings = Settings.from_env(server.environment())
    secret, version = settings.secret_key, settings.tickets.key_version
    today = dt.datetime.now(VIETNAM).date()
    return {
        "entrance": tickets.entrance_token(secret, version, WARD, today),
        "display": tickets.display_token(secret, version, WARD),
    }


async def audit(out: Path, only: list[str]) -> list[Row]:
    node_packages()
    server = LocalhostServer(Path(tempfile.mkdtemp(prefix="motcua-audit-")))
    await asyncio.to_thread(server.start)
    rows: list[Row] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            cookies, draft = await signed_in_citizen(browser, server.url)
            session = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
            tokens = queue_tokens(server)
            pages = [(p, p.format(**tokens), False) for p in PUBLIC_PAGES]
            pages += [(p, p.format(draft=draft), True) for p in CITIZEN_PAGES]
            for template, path, signed_in in pages:
                if only and path not in only and template not in only:
                    continue
                url = f"{server.url}{path}"
                name = "".join(c if c.isalnum() else "_" for c in path.strip("/")) or "home"
                report = out / f"{name}{'_signed_in' if signed_in else ''}.json"
                result = await asyncio.to_thread(
                    lighthouse, url, session if signed_in else None, report
                )
                if result is None:
                    print(f"{path}: Lighthouse failed twice", flush=True)
                    rows.append(Row(path, signed_in, {}, 0.0, ["lighthouse-failed"]))
                    continue
                scores = {k: float(v["score"] or 0) for k, v in result["categories"].items()}
                cls = float(result["audits"]["cumulative-layout-shift"]["numericValue"])
                violations = await axe(browser, url, cookies if signed_in else [])
                row = Row(path, signed_in, scores, cls, violations)
                rows.append(row)
                print(line(row), flush=True)
            await browser.close()
    finally:
        await asyncio.to_thread(server.stop)
    return rows


def line(row: Row) -> str:
    s = row.scores
    who = "citizen " if row.signed_in else "anyone  "
    missed = row.misses()
    return (
        f"{who}{row.path:<28} perf {s.get('performance', 0) * 100:5.0f}"
        f"  a11y {s.get('accessibility', 0) * 100:5.0f}"
        f"  best {s.get('best-practices', 0) * 100:5.0f}"
        f"  CLS {row.cls:6.3f}  axe {','.join(row.violations) or 'none'}"
        + (f"  MISSES {','.join(missed)}" if missed else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "motcua-lh")
    parser.add_argument("--only", nargs="*", default=[], help="only these paths")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Lighthouse simulates a slow phone from what it observed: a busy machine's long
    # tasks and slow answers lower the performance scores.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    rows = asyncio.run(audit(args.out, args.only))
    missing = [row for row in rows if row.misses()]
    print(f"{len(rows)} pages, {len(missing)} missing a goal; reports in {args.out}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
