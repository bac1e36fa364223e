"""The clock the runtimes share: replaceable in tests (a runtime's ``now``), and read as
epoch milliseconds for the times compared in SQL (SQLite keeps timestamps as text)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def epoch_ms(now: Callable[[], dt.datetime]) -> int:
    # The real clock without building a datetime: this is read on hot paths.
    if now is utc_now:
        return time.time_ns() // 1_000_000
    return int(now().timestamp() * 1000)
