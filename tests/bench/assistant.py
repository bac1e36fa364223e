"""The assistant's hit rate on its public question set, and its answer latency.

    .venv/bin/python tests/bench/assistant.py [--rounds 5]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/motcua_test \
        .venv/bin/python tests/bench/assistant.py

Runs in this process on a fresh database with the demo catalogue: SQLite in a temp
folder, or ``<database>_bench_assistant`` on PostgreSQL when DATABASE_URL is set (only
``*test*`` names are recreated). For each part of tests/assistant/questions.json
(``tuned``: looked at while writing the everyday phrases; ``heldout``: never tuned
on; ``fresh``: written after tuning)
and for the whole set it prints top-1 and top-3 on the answerable questions and the
share of the others the assistant declined (said it does not know, or refused another
language). Then the latency per question, in ms, measured in process: the answerer
alone (the index in memory, one small query for the catalogue's version), the service
(the reply built from the catalogue), and ``GET /api/assistant`` through the ASGI app;
p50 and p99 over ``--rounds`` passes of the set, after a first pass that builds the
index (its time is printed too). Misses are listed. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.app import create_app  # noqa: E402
from backend.assistant import service  # noqa: E402
from backend.assistant.answerers import build  # noqa: E402
from backend.catalogue.service import seed_demo  # noqa: E402
from backend.db import Database  # noqa: E402
from tests.assistant import questions  # noqa: E402
from tests.conftest import PUBLIC_URL, make_settings  # noqa: E402
from tests.support.asgi import client_for, lifespan  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def line(name: str, rates: questions.Rates) -> str:
    return (
        f"| {name} | {rates.answerable} | {rates.top1:.2f} | {rates.top3:.2f} "
        f"| {rates.unanswerable} | {rates.declined:.2f} |"
    )


async def main(rounds: int) -> None:
    asked = questions.load()
    with tempfile.TemporaryDirectory() as folder:
        settings = await make_settings(Path(folder), "bench_assistant")
        database = Database(settings)
        await database.open()
        await database.migrate()
        await seed_demo()
        answerer = build(settings.assistant.answerer)

        async def codes(question: str) -> tuple[str, ...]:
            answer = await answerer.answer(question, "vi")
            return tuple(cited.code for cited in answer.procedures)

        start = time.perf_counter()
        await answerer.answer("khai sinh", "vi")
        built_ms = (time.perf_counter() - start) * 1000
        outcomes = await questions.run(asked, codes)
        print(f"database: {settings.database_kind}; {len(asked)} questions")
        print("| part | answerable | top-1 | top-3 | others | declined |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for part in ("tuned", "heldout", "fresh"):
            print(line(part, questions.rates([o for o in outcomes if o.question.part == part])))
        print(line("**all**", questions.rates(outcomes)))
        misses = [o for o in outcomes if (not o.top1 if o.question.expect else not o.declined)]
        for outcome in misses:
            question = outcome.question
            print(f"  miss ({question.part}): {question.q!r} expected {list(question.expect)}")
            print(f"    got {list(outcome.codes)}")

        timings: dict[str, list[float]] = {"answerer": [], "service": [], "GET /api/assistant": []}
        # The app opens the database itself.
        await database.close()
        app = create_app(settings)
        async with lifespan(app), client_for(app, PUBLIC_URL) as client:
            for _ in range(rounds):
                for question in asked:
                    start = time.perf_counter()
                    await answerer.answer(question.q, "vi")
                    middle = time.perf_counter()
                    await service.ask(question.q, "vi", None)
                    end = time.perf_counter()
                    response = await client.get("/api/assistant", params={"q": question.q})
                    done = time.perf_counter()
                    assert response.status_code == 200, response.text
                    timings["answerer"].append((middle - start) * 1000)
                    timings["service"].append((end - middle) * 1000)
                    timings["GET /api/assistant"].append((done - end) * 1000)
    print(f"\nfirst question (reads the catalogue, builds the index): {built_ms:.1f} ms")
    print(f"latency over {rounds} x {len(asked)} questions, ms")
    print("| step | p50 | p99 | max |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in timings.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.99):.2f} "
            f"| {max(values):.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
