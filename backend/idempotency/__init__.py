"""Idempotency-Key on the endpoints that create something: a replay gets the first
answer (``http`` for the routes, ``service`` for the bookkeeping, kept 24 hours)."""

from backend.idempotency.http import IDEMPOTENT, Idempotency
from backend.idempotency.service import HEADER, REPLAYED_HEADER, prune

__all__ = ["HEADER", "IDEMPOTENT", "REPLAYED_HEADER", "Idempotency", "prune"]
