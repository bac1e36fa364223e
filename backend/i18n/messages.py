"""Messages and their translations.

``N_("Không tìm thấy hồ sơ %(code)s.", code=code)`` marks a message for Babel and
returns a ``Text``: nothing is translated until it is shown (``render(lang)``), so a
service can say what went wrong without knowing who reads it. Placeholders are
gettext's ``%(name)s``, as in the templates; a parameter may itself be translatable
(a ``Text``, or a ``Localized`` pair of the catalogue's data). A message missing from
a catalogue shows in Vietnamese rather than not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALES_DIR = Path(__file__).parents[2] / "frontend" / "locales"

# msgid -> translation; a plural message maps its singular msgid to all its forms.
Catalogue = dict[str, str | tuple[str, ...]]


@runtime_checkable
class Translatable(Protocol):
    def render(self, lang: str) -> str: ...


def load_catalogues(locales_dir: Path = LOCALES_DIR) -> dict[str, Catalogue]:
    """Every ``<lang>/LC_MESSAGES/*.po`` (one file per domain) merged per language."""
    loaded: dict[str, Catalogue] = {DEFAULT_LANGUAGE: {}}
    for lang in LANGUAGES:
        entries = loaded.setdefault(lang, {})
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
    return loaded


@functools.cache
def catalogues() -> dict[str, Catalogue]:
    """The catalogues of this process, read once."""
    return load_catalogues()


def translate(lang: str, message: str) -> str:
    text = catalogues().get(lang, {}).get(message, message)
    return text if isinstance(text, str) else text[0]


def translate_plural(lang: str, singular: str, plural: str, num: int) -> str:
    forms = catalogues().get(lang, {}).get(singular)
    if isinstance(forms, tuple):
        # English and Vietnamese catalogues only: one form, or "one" and "other".
        return forms[0] if num == 1 or len(forms) == 1 else forms[1]
    return singular if num == 1 else plural


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice wins; otherwise the browser's first supported language."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


Param = str | int | float | Translatable


class Text:
    """A message, translated when it is shown."""

    __slots__ = ("msgid", "num", "params", "plural")

    def __init__(
        self,
        msgid: str,
        params: Mapping[str, Param] | None = None,
        *,
        plural: str | None = None,
        num: int = 1,
    ) -> None:
        self.msgid = msgid
        self.plural = plural
        self.num = num
        self.params = params or {}

    def render(self, lang: str) -> str:
        if self.plural is None:
            template = translate(lang, self.msgid)
        else:
            template = translate_plural(lang, self.msgid, self.plural, self.num)
        if not self.params:
            return template
        return template % {name: _shown(value, lang) for name, value in self.params.items()}

    def __repr__(self) -> str:
        return f"Text({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (
            other.msgid,
            other.plural,
            other.num,
            dict(other.params),
        ) == (self.msgid, self.plural, self.num, dict(self.params))

    def __hash__(self) -> int:
        return hash((self.msgid, self.plural, self.num))


class Localized:
    """A value the data gives in both languages (a procedure's name, a field's label)."""

    __slots__ = ("en", "vi")

    def __init__(self, vi: str, en: str) -> None:
        self.vi = vi
        self.en = en

    def render(self, lang: str) -> str:
        return self.vi if lang == "vi" or not self.en else self.en

    def __repr__(self) -> str:
        return f"Localized({self.vi!r}, {self.en!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Localized) and (other.vi, other.en) == (self.vi, self.en)

    def __hash__(self) -> int:
        return hash((self.vi, self.en))


def N_(message: str, **params: Param) -> Text:
    """Mark ``message`` for extraction; it is translated when shown."""
    return Text(message, params)


def ngettext(singular: str, plural: str, num: int, **params: Param) -> Text:
    """A message with a plural form, chosen by ``num`` when shown (``%(num)d`` is set)."""
    return Text(singular, {"num": num, **params}, plural=plural, num=num)


def text_of(value: Param | None, lang: str) -> str:
    """Any message or value as shown in ``lang`` ("" for None)."""
    if value is None:
        return ""
    return str(_shown(value, lang))


def _shown(value: Param, lang: str) -> str | int | float:
    if isinstance(value, str | int | float):
        return value
    return value.render(lang)
