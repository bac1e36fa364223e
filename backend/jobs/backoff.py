"""When a failed send is tried again: the one rule every outbox consumer (pushes,
channels, webhooks, the national portal) shares, each with its own first wait."""

from __future__ import annotations

import random

# However many attempts failed, never more than an hour between two.
LONGEST_MS = 3_600_000


def backoff_ms(attempt: int, *, first_ms: int, least_ms: int = 0) -> int:
    """Exponential (``first_ms``, twice that, four times ... up to an hour) with jitter
    over the upper half, so that sends that failed together are not retried together;
    never under ``least_ms`` (a Retry-After the other side asked for)."""
    ceiling = min(LONGEST_MS, first_ms * 2 ** max(0, attempt - 1))
    wait = random.randint(ceiling // 2, ceiling)  # noqa: S311 - jitter, not a secret
    return max(wait, least_ms)
