"""Templates (issue 21): compiled at start-up, once a process, and translated in one call
with exactly Jinja's new-style gettext rules (escaping, "%%", plurals, trans blocks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from backend.web.assets import Assets
from backend.web.templates import TEMPLATES_DIR, template_config

# A message the English catalogue holds, and its translation.
NOT_NOW = ("Để sau", "Not now")


def environment_of(templates_dir: Path = TEMPLATES_DIR, **options: bool) -> Environment:
    config = template_config(Assets(), "http://localhost:8000", templates_dir, **options)
    engine = config.engine_instance
    assert engine is not None
    environment = engine.engine
    assert isinstance(environment, Environment)
    return environment


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_text(
        '{{ _("Để sau") }}|{{ _("100%% xong") }}|{{ _("Chào %(name)s", name=who) }}|'
        '{{ ngettext("%(num)d tệp", "%(num)d tệp", count) }}|'
        "{% trans %}Để sau{% endtrans %}|"
        '{% autoescape false %}{{ _("Chào %(name)s", name=who) }}{% endautoescape %}',
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    ("lang", "not_now", "files"), [("vi", NOT_NOW[0], "3 tệp"), ("en", NOT_NOW[1], "3 files")]
)
def test_messages_are_translated_escaped_and_formatted_as_jinja_does(
    folder: Path, lang: str, not_now: str, files: str
) -> None:
    page = environment_of(folder).get_template("page.html")

    for _ in range(2):  # the second time from what the first one kept
        shown = page.render(lang=lang, who="<b>An</b>", count=3).split("|")
        assert shown == [
            not_now,
            "100% xong",
            "Chào &lt;b&gt;An&lt;/b&gt;",
            files,
            not_now,
            "Chào <b>An</b>",  # autoescape off: nothing escaped, as Jinja's own
        ]


def test_a_page_without_a_language_is_in_vietnamese(folder: Path) -> None:
    shown = environment_of(folder).get_template("page.html").render(who="x", count=1)

    assert shown.startswith(NOT_NOW[0] + "|")


def test_a_template_is_compiled_once_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app made again (each test's, a second worker's) compiles nothing it did before."""
    names = [name for name in environment_of().list_templates() if name.endswith(".html")]
    assert len(names) > 50
    for name in names:
        environment_of().get_template(name)

    compiled: list[str] = []
    original = Environment.compile

    def counting(self: Environment, source: object, *args: object, **kwargs: object) -> object:
        compiled.append(str(args[0] if args else kwargs.get("name")))
        return original(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Environment, "compile", counting)
    again = environment_of()
    for name in names:
        again.get_template(name)

    assert compiled == []


def test_an_edited_template_shows_at_once_in_development_only(folder: Path) -> None:
    development = environment_of(folder, auto_reload=True)
    production = environment_of(folder, auto_reload=False)
    for environment in (development, production):  # each has shown the page once
        environment.get_template("page.html")
    (folder / "page.html").write_text("edited", encoding="utf-8")

    assert development.get_template("page.html").render() == "edited"
    assert production.get_template("page.html").render(who="", count=1).startswith(NOT_NOW[0])
