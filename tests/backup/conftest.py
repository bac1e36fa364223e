"""Fixtures of the backup tests: the payments tests' app (dossiers that owe fees, cash
at the counter, receipts) over the session's database, which is the live instance
backed up while it writes."""

from tests.payments.conftest import clock, payments, payments_app, people, runtime

__all__ = ["clock", "payments", "payments_app", "people", "runtime"]
