"""Work done after the request: the consumers that drain the outbox and the periodic
chores of every domain, registered in ``create_app`` and run by ``motcua worker``
processes (several at once on PostgreSQL) or, embedded, inside the app."""

from backend.jobs.backoff import backoff_ms
from backend.jobs.runner import Chore, Job, Runner, SessionJob, at_start, in_process

__all__ = ["Chore", "Job", "Runner", "SessionJob", "at_start", "backoff_ms", "in_process"]
