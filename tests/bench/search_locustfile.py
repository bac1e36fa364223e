"""Visitors searching the catalogue the way people type (tests/bench/search.py).

BENCH_PATH: the endpoint; BENCH_RATE: requests/s per user (0: as fast as the server
answers). Queries come from the relevance set of tests/catalogue, plus typos and
prefixes, so every search path (words, typo widening, any-word) is exercised."""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant, constant_throughput, task
from queries import QUERIES

PATH = os.environ.get("BENCH_PATH", "/api/procedures")
RATE = float(os.environ.get("BENCH_RATE", "0"))
HEADERS = {"Accept-Encoding": "gzip", "Accept-Language": "vi-VN,vi;q=0.9"}


class Searcher(FastHttpUser):
    wait_time = constant_throughput(RATE) if RATE > 0 else constant(0)

    @task
    def search(self) -> None:
        self.client.get(
            PATH,
            params={"q": random.choice(QUERIES)},
            headers=HEADERS,
            name=PATH,
        )
