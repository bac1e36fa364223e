"""Recovery-code attempts: their cost on a known and an unknown number, and what 30 of
them at once do to a search (issue 15: argon2 made each ~1.5 s of CPU on a known
number, 5 ms on an unknown one, and raised the search median from 23 to 104 ms).

    .venv/bin/python tests/bench/recovery.py [--attempts 30] [--legacy]

Runs the app in this process (ASGI, no server) on a fresh SQLite database, or on
PostgreSQL when DATABASE_URL is set (``<database>_bench_recovery``), with the
production argon2 cost. ``--legacy`` adds one argon2 code of before issue 15, which
makes every attempt pay the padded argon2 work while such codes remain. Prints medians
in ms; asserts nothing on time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.accounts.tables import RecoveryCode  # noqa: E402
from backend.app import create_app  # noqa: E402
from backend.catalogue.service import seed_demo  # noqa: E402
from backend.db import Database  # noqa: E402
from tests.accounts.helpers import new_browser, unique_phone  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.asgi import lifespan  # noqa: E402


async def timed(call: object) -> float:
    start = time.perf_counter()
    await call  # type: ignore[misc]
    return (time.perf_counter() - start) * 1000


async def main(attempts: int, legacy: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = await make_settings(Path(folder), "bench_recovery")
        settings = dataclasses.replace(
            base, auth_rate_per_address=100_000, auth_rate_per_account=100_000
        )
        database = Database(settings)
        await database.open()
        await database.migrate()
        await seed_demo()
        app = create_app(settings)
        async with lifespan(app):
            owner = await new_browser(app)
            account = await owner.sign_up()
            if legacy:
                await RecoveryCode.insert(
                    RecoveryCode(
                        account=int(account["account"]["id"]),
                        code_hash=app.state["accounts"].hasher.hash("ABCD-EFGH-JKMN"),
                        created_at=app.state["accounts"].clock(),
                    )
                )
            guesser = await new_browser(app)
            searcher = await new_browser(app)

            async def attempt(phone: str) -> float:
                body = {"phone": phone, "code": "AAAA-AAAA-AAAA"}
                return await timed(guesser.post("/api/auth/recovery", body))

            async def search() -> float:
                return await timed(searcher.get("/api/procedures?q=khai%20sinh"))

            known = [await attempt(owner.phone) for _ in range(attempts)]
            unknown = [await attempt(unique_phone()) for _ in range(attempts)]
            idle = [await search() for _ in range(attempts)]

            async def searches_during() -> list[float]:
                return [await search() for _ in range(attempts)]

            burst = asyncio.gather(*(attempt(owner.phone) for _ in range(attempts)))
            during, _ = await asyncio.gather(searches_during(), burst)
            for browser in (owner, guesser, searcher):
                await browser.close()
        await database.close()
    print(f"database: {settings.database_kind}; legacy argon2 code: {legacy}")
    print(f"recovery attempt, known number:    median {statistics.median(known):7.1f} ms")
    print(f"recovery attempt, unknown number:  median {statistics.median(unknown):7.1f} ms")
    print(f"search alone:                      median {statistics.median(idle):7.1f} ms")
    print(f"search during {attempts} attempts at once: median {statistics.median(during):7.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=30)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.attempts, args.legacy))
