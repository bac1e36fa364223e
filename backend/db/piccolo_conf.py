"""Piccolo's configuration module: the apps (one per domain) and the engine in use.

``DB`` is resolved lazily: inside the app it is the engine opened by
``backend.db.engine.Database``; for Piccolo's own CLI (``piccolo migrations new``)
it is built from the same settings.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.catalogue.piccolo_app",
        "backend.accounts.piccolo_app",
        "backend.outbox.piccolo_app",
        "backend.dossiers.piccolo_app",
        "backend.notifications.piccolo_app",
        "backend.workdays.piccolo_app",
        "backend.payments.piccolo_app",
        "backend.feedback.piccolo_app",
        "backend.stats.piccolo_app",
        "backend.idempotency.piccolo_app",
        "backend.signing.piccolo_app",
        "backend.webhooks.piccolo_app",
        "backend.portal.piccolo_app",
        "backend.tickets.piccolo_app",
        "backend.appointments.piccolo_app",
    ]
)


def __getattr__(name: str) -> Any:
    if name != "DB":
        raise AttributeError(name)
    from backend.db import engine
    from backend.settings import Settings

    if engine._open_engines:
        return engine.active_engine()
    return engine.build_engine(Settings.from_env())
