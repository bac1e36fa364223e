"""The English catalogues against the messages of the code.

``python -m lint.messages [PATH...]`` prints, for every message of the templates and
the Python code under PATH (default: everything) that ``frontend/locales/en`` lacks, a
stanza to fill in and add to the domain's ``frontend/locales/en/LC_MESSAGES/<domain>.po``;
it exits 1 if any is missing.

``python -m lint.messages --tidy`` rewrites every catalogue sorted, drops the messages
no code uses any more and the second copy of a message two catalogues translate alike;
it exits 1, naming them, if two catalogues translate one message differently (the
catalogues are merged, so only one of them could be shown).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from backend.i18n import LOCALES_DIR, load_catalogues

ROOT = Path(__file__).parents[1]
PYTHON_KEYWORDS = {"N_": None, "ngettext": (1, 2)}
Message = str | tuple[str, str]


def extracted() -> Iterator[tuple[str, int, Message]]:
    """Every message of the templates and of the Python code: (file, line, message)."""
    for method_map, options in (
        (
            [("frontend/templates/**.html", "jinja2")],
            {"options_map": {"frontend/templates/**.html": {"extensions": "jinja2.ext.i18n"}}},
        ),
        ([("backend/**.py", "python")], {"keywords": PYTHON_KEYWORDS}),
    ):
        for file, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, **options
        ):
            yield file, line, message


def key_of(message: Message) -> str:
    return message[0] if isinstance(message, tuple) else message


def missing(prefixes: list[str]) -> list[tuple[str, int, Message]]:
    english = load_catalogues(LOCALES_DIR)["en"]
    return [
        (file, line, message)
        for file, line, message in extracted()
        if key_of(message) not in english and (not prefixes or file.startswith(tuple(prefixes)))
    ]


def stanza(message: Message) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    if isinstance(message, tuple):
        return (
            f"msgid {quoted(message[0])}\nmsgid_plural {quoted(message[1])}\n"
            'msgstr[0] ""\nmsgstr[1] ""\n'
        )
    return f'msgid {quoted(message)}\nmsgstr ""\n'


def tidy(locales: Path = LOCALES_DIR / "en" / "LC_MESSAGES") -> list[str]:
    """Rewrite the catalogues (see the module's docstring); the conflicts found."""
    used = {key_of(message) for _file, _line, message in extracted()}
    kept: dict[str, tuple[str, object]] = {}
    conflicts = []
    for path in sorted(locales.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale="en")
        tidied = Catalog(locale="en")
        for message in catalogue:
            key = key_of(message.id) if message.id else ""
            if not key or key not in used:
                continue
            if key in kept:
                if kept[key][1] != message.string:
                    conflicts.append(f"{key!r}: {kept[key][0]} and {path.name} differ")
                continue
            kept[key] = (path.name, message.string)
            tidied[message.id] = message
        with path.open("wb") as handle:
            write_po(
                handle, tidied, width=100, no_location=True, omit_header=True, sort_output=True
            )
    return conflicts


def main(argv: list[str]) -> int:
    if argv == ["--tidy"]:
        conflicts = tidy()
        for conflict in conflicts:
            print(f"conflict: {conflict}", file=sys.stderr)
        return 1 if conflicts else 0
    seen: set[Message] = set()
    for file, line, message in missing(argv):
        if message in seen:
            continue
        seen.add(message)
        print(f"#: {file}:{line}\n{stanza(message)}")
    return 1 if seen else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
