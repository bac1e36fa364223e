"""One kind of visitor, fetching one path (BENCH_PATH) as fast as the server
answers: no think time, so each user is one connection kept busy."""

from __future__ import annotations

import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")
# What a phone's browser sends: compressed responses, the Vietnamese page.
HEADERS = {"Accept-Encoding": "gzip", "Accept-Language": "vi-VN,vi;q=0.9"}
# A signed-in visitor's page (nodes.py: a dossier's page with its owner's session).
if os.environ.get("BENCH_COOKIE"):
    HEADERS["Cookie"] = os.environ["BENCH_COOKIE"]


class Visitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def fetch(self) -> None:
        self.client.get(PATH, headers=HEADERS, name=PATH)
