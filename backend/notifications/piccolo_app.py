from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.notifications.tables import (
    ChannelAttempt,
    ChannelJob,
    ChannelOptOut,
    ChannelReport,
    Delivery,
    Notice,
    Preference,
    PushJob,
    PushSubscription,
)

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "notifications"),
    table_classes=[
        PushSubscription,
        Notice,
        PushJob,
        Delivery,
        Preference,
        ChannelJob,
        ChannelAttempt,
        ChannelReport,
        ChannelOptOut,
    ],
)
