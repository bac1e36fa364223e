"""Vietnamese first, English second.

Templates are written in Vietnamese; ``frontend/locales/<lang>/LC_MESSAGES/*.po``
(gettext, kept with Babel; one file per domain plus ``messages.po`` for the shell)
holds the other languages. A message missing from a catalogue shows in Vietnamese
rather than not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from jinja2 import pass_context
from jinja2.runtime import Context

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "lang"
LOCALES_DIR = Path(__file__).parents[2] / "frontend" / "locales"


# msgid -> translation; a plural message maps its singular msgid to all its forms.
Catalogue = dict[str, str | tuple[str, ...]]


def load_catalogues(locales_dir: Path = LOCALES_DIR) -> dict[str, Catalogue]:
    catalogues: dict[str, Catalogue] = {DEFAULT_LANGUAGE: {}}
    for lang in LANGUAGES:
        entries = catalogues.setdefault(lang, {})
        for path in sorted((locales_dir / lang / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as handle:
                catalogue = read_po(handle, locale=lang)
            for message in catalogue:
                if not message.id or message.fuzzy:
                    continue
                if isinstance(message.id, tuple | list):
                    forms = tuple(str(form) for form in message.string or ())
                    if all(forms):
                        entries[str(message.id[0])] = forms
                elif message.string:
                    entries[str(message.id)] = str(message.string)
    return catalogues


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice wins; otherwise the browser's first supported language."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


class Translator:
    def __init__(self, catalogues: dict[str, Catalogue]) -> None:
        self.catalogues = catalogues

    def gettext(self, lang: str, message: str) -> str:
        text = self.catalogues.get(lang, {}).get(message, message)
        return text if isinstance(text, str) else text[0]

    def ngettext(self, lang: str, singular: str, plural: str, n: int) -> str:
        forms = self.catalogues.get(lang, {}).get(singular)
        if isinstance(forms, tuple):
            # English and Vietnamese catalogues only: one form, or "one" and "other".
            return forms[0] if n == 1 or len(forms) == 1 else forms[1]
        return singular if n == 1 else plural

    def jinja_callables(self) -> tuple[Any, Any]:
        """gettext and ngettext for Jinja's i18n extension (new style: Jinja formats
        the variables), reading the language from the template context."""

        @pass_context
        def gettext(context: Context, message: str) -> str:
            return self.gettext(_language(context), message)

        @pass_context
        def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
            return self.ngettext(_language(context), singular, plural, n)

        return gettext, ngettext


def _language(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else DEFAULT_LANGUAGE
