"""Vietnamese first, English second: one path for every word a person reads.

Messages are written in Vietnamese, in templates (``_()``) and in Python (``N_()``,
``ngettext()``) alike; Babel extracts both, and ``frontend/locales/en`` holds the
English. Python messages are lazy ``Text``: translated when shown, in the reader's
language. Dates, times and amounts are written by Babel (``formats``).
"""

from backend.i18n.formats import (
    Moment,
    Money,
    Number,
    format_date,
    format_day,
    format_moment,
    format_number,
    format_size,
    format_time,
    format_vnd,
    locale_of,
    parse_date,
)
from backend.i18n.messages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALES_DIR,
    N_,
    Localized,
    Text,
    Translatable,
    catalogues,
    load_catalogues,
    negotiate,
    ngettext,
    text_of,
    translate,
    translate_plural,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALES_DIR",
    "N_",
    "Localized",
    "Moment",
    "Money",
    "Number",
    "Text",
    "Translatable",
    "catalogues",
    "format_date",
    "format_day",
    "format_moment",
    "format_number",
    "format_size",
    "format_time",
    "format_vnd",
    "load_catalogues",
    "locale_of",
    "negotiate",
    "ngettext",
    "parse_date",
    "text_of",
    "translate",
    "translate_plural",
]
