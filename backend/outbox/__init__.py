"""The outbox: what a state change causes later (notifications, reconciliation),
written in the same transaction as the change and drained by a worker."""
