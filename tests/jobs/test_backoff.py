"""The retry rule every outbox consumer shares: doubling waits with jitter over their
upper half, capped at an hour, never under what the other side asked for."""

from __future__ import annotations

from backend.jobs import backoff_ms


def test_waits_double_within_their_upper_half() -> None:
    for attempt, ceiling in ((1, 10_000), (2, 20_000), (3, 40_000), (5, 160_000)):
        waits = {backoff_ms(attempt, first_ms=10_000) for _ in range(200)}
        assert min(waits) >= ceiling // 2 and max(waits) <= ceiling
        assert len(waits) > 1  # jittered: sends that failed together spread out


def test_never_more_than_an_hour_and_never_under_the_least() -> None:
    assert all(backoff_ms(60, first_ms=1000) <= 3_600_000 for _ in range(50))
    assert backoff_ms(1, first_ms=1000, least_ms=120_000) == 120_000
    assert backoff_ms(0, first_ms=1000) <= 1000
