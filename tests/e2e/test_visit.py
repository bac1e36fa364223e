"""A visit, booked and made, in a real Chromium against a real `motcua serve` whose
clock libfaketime sets (the whole journey spans an evening and the next morning).

On Monday 1 March 2027 at 16:58 (Vietnam), a resident signs up with a passkey, finds
the birth registration, books Tuesday 09:00 at the Hạc Thành ward, and at 17:00 the
reminder is in their notices. On Tuesday at 08:45 (the server restarted on that
morning, on the same data) they open the entrance's QR code of the day: their booking
is there, and one tap gives them a priority number, ahead of a walk-in's. The ward's
official calls the next number and the person's page shows, without a reload, that it
is their turn."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from backend.settings import Settings
from backend.tickets import service as tickets
from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.server import MotcuaServer, motcua_command
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

# Preloaded into the server itself (the faketime command would stand between the test
# and the server's process, and a restart would leave the server running).
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
FAKETIME_FOUND = LIBFAKETIME.exists()
WARD = "000.01.40.H56"
BIRTH = "1.001193"
# In UTC: 16:58 on Monday and 08:45 on Tuesday in Vietnam. The evening runs four times
# as fast (the two minutes to the reminder pass in thirty seconds).
EVENING = "@2027-03-01 09:58:00 x4"
MORNING = "@2027-03-02 01:45:00"
TUESDAY = dt.date(2027, 3, 2)


class FakeTimeServer(LocalhostServer):
    """``motcua serve`` under libfaketime, keeping its port across restarts (the
    browser's cookies and passkeys belong to the address)."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        super().__init__(data_dir, database_url)
        self.fake = EVENING
        self.fixed_port = 0

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME": self.fake,
            # The reminders' chore and the notices' worker in the server, on PostgreSQL too.
            "MOTCUA_WORKER_IN_PROCESS": "true",
        }

    def next_port(self) -> int:
        return self.fixed_port or super().next_port()

    def restart(self, fake: str) -> None:
        self.stop()
        self.fixed_port, self.fake = self.port, fake
        self.start()

    def motcua(self, *args: str) -> str:
        """A ``motcua`` command on this server's data, at its fake time."""
        result = subprocess.run(
            [*motcua_command(), *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout


@pytest.fixture
async def visit_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeTimeServer]:
    if not FAKETIME_FOUND:
        pytest.fail(f"no {LIBFAKETIME}: run ./dev test, which installs faketime")
    database_url = await fresh_postgres("e2e_visit") if POSTGRES_URL else None
    server = FakeTimeServer(Path(tmp_path_factory.mktemp("e2e-visit")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def passkey_context(
    new_context: NewContext, server: MotcuaServer
) -> tuple[BrowserContext, Page]:
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    return context, page


async def sign_up(page: Page, name: str, phone: str) -> None:
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill(name)
    await page.get_by_label("Số điện thoại di động").fill(phone)
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await expect(page.locator("#recovery-codes-list li")).to_have_count(10)
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()


async def test_a_visit_booked_reminded_arrived_and_called(
    visit_server: FakeTimeServer, new_context: NewContext
) -> None:
    server = visit_server
    context, phone = await passkey_context(new_context, server)
    errors = watch_errors(phone)
    await sign_up(phone, "Phạm Thị Hồng", "0912345678")

    # The procedure's page offers a visit; the booking page walks day and time.
    await phone.goto(f"/p/{BIRTH}?co-quan={WARD}")
    await phone.get_by_role("link", name="Đặt lịch đến nộp").click()
    await expect(phone.locator("h1")).to_have_text("Đặt lịch đến nộp hồ sơ")
    await phone.locator("#days a", has_text="02/03/2027").click()
    await phone.get_by_label(re.compile("09:00–09:30")).check()
    await phone.get_by_role("button", name="Đặt lịch").click()
    await expect(phone.locator("#done")).to_contain_text("Đã đặt lịch")
    await expect(phone.locator("#booking")).to_contain_text("09:00–09:30")
    await expect(phone.locator("#booking-qr svg")).to_be_visible()
    code = (await phone.locator("h1").inner_text()).split()[-1]

    # 17:00: the reminder is in the inbox.
    for _ in range(40):
        await phone.goto("/thong-bao")
        if await phone.locator("main").get_by_text("Nhắc lịch hẹn").count():
            break
        await asyncio.sleep(1)
    else:
        raise AssertionError(await phone.locator("main").inner_text())
    await expect(phone.locator("main")).to_contain_text("lúc 09:00 ngày 02/03/2027")
    await expect(phone.locator("main")).to_contain_text(code)

    # Tuesday morning.
    await asyncio.to_thread(server.restart, MORNING)
    settings = Settings.from_env(server.environment())
    entrance = tickets.entrance_token(
        settings.secret_key, settings.tickets.key_version, WARD, TUESDAY
    )
    # Someone without a booking takes a number first.
    walk_in_context = await new_context(server.url)
    walk_in = await walk_in_context.new_page()
    await walk_in.goto(f"/lay-so/{entrance}")
    await walk_in.get_by_label("Bạn đến để làm gì?").select_option(f"1:{BIRTH}")
    await walk_in.get_by_role("button", name="Lấy số").click()
    await expect(walk_in).to_have_url(re.compile("/so-thu-tu/"))

    await phone.goto(f"/lay-so/{entrance}")
    await expect(phone.locator("#entrance-booking")).to_contain_text("Bạn có lịch hẹn hôm nay")
    await phone.get_by_role("button", name="Tôi đã đến – lấy số ưu tiên").click()
    await expect(phone).to_have_url(re.compile("/so-thu-tu/"))
    ticket = phone.url
    number = (await phone.locator("#ticket-code").inner_text()).strip()
    await expect(phone.locator("#ticket-counter")).to_contain_text("Quầy 1")

    # The ward's official calls the next number: the booked one, before the walk-in.
    link = re.findall(
        r"https?://\S+",
        await asyncio.to_thread(
            server.motcua,
            "create-staff",
            "--name",
            "Lò Văn Quang",
            "--agency",
            WARD,
            "--role",
            "reception",
        ),
    )[-1]
    official_context, official = await passkey_context(new_context, server)
    await official.goto(link)
    await official.get_by_role("button", name="Đăng ký khóa truy cập").click()
    await expect(official.get_by_role("heading", name="Thiết bị đăng nhập")).to_be_visible()
    await official.goto("/can-bo/lich-hen")
    await expect(official.locator(f"#{code}")).to_contain_text("Phạm Thị Hồng")
    await expect(official.locator(f"#{code}")).to_contain_text("Đã đến")
    await official.goto("/can-bo/hang-cho?quay=1")
    await official.get_by_role("button", name="Gọi số tiếp theo").click()
    await expect(official.locator("#thong-bao")).to_contain_text(f"Đã gọi số {number}.")
    # The person's page says so by itself (it polls), without a reload.
    await expect(phone.locator("#ticket-state")).to_contain_text(
        "Đến lượt bạn! Mời bạn đến quầy 1.", timeout=30_000
    )
    assert phone.url == ticket
    assert errors == [], errors
    await official_context.close()
    await walk_in_context.close()
    await context.close()
