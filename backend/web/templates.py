"""The Jinja2 environment and the one helper pages use to render.

Every template gets gettext (``_``, ``ngettext``) and the formats of ``backend.i18n``
in the page's language: ``date_text``, ``day_text`` (with the weekday), ``when`` (a
moment), ``time_of``, ``vnd``, ``figure`` (a number), ``file_size``, and ``tr`` for a
message or a value given in both languages by Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from backend import i18n
from backend.web.assets import FRONTEND_DIR, Assets

TEMPLATES_DIR = FRONTEND_DIR / "templates"
LANGUAGE_COOKIE = "lang"


def template_config(
    assets: Assets, public_url: str, templates_dir: Path = TEMPLATES_DIR
) -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return i18n.translate(_lang(context), message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int) -> str:
        return i18n.translate_plural(_lang(context), singular, plural, num)

    # New style: Jinja formats the variables after translating.
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    # Read the catalogues at start-up, not at the first request: they are then among
    # the objects frozen out of the collector's reach (app.freeze_start_up_objects).
    i18n.catalogues()
    environment.globals.update(
        asset=assets.url,
        public_url=public_url,
        languages=i18n.LANGUAGES,
        date_text=_in_language(i18n.format_date, _as_date),
        day_text=_in_language(i18n.format_day, _as_date),
        when=_in_language(i18n.format_moment),
        time_of=_in_language(i18n.format_time),
        vnd=_in_language(i18n.format_vnd),
        figure=_in_language(i18n.format_number),
        file_size=_in_language(i18n.format_size),
        tr=_in_language(i18n.text_of),
    )
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else i18n.DEFAULT_LANGUAGE


def _in_language(
    format_value: Callable[[Any, str], str], convert: Callable[[Any], Any] = lambda v: v
) -> Callable[..., str]:
    """A formatter for templates, in the language of the page it is called from."""

    @pass_context
    def formatted(context: Context, value: Any) -> str:
        return format_value(convert(value), _lang(context))

    return formatted


def _as_date(value: dt.date | str | None) -> dt.date | None:
    """A day as the data holds it: a date, or ISO text (in JSON details)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return value


# The language switch's ``next`` is at most this long (``/ngon-ngu`` refuses more).
LANGUAGE_NEXT_MAX = 2000


def page(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """Render a page in the request's language; pages vary by the language cookie.
    ``here`` (the path with its query) is where the language switch comes back to: a
    sign-in page keeps its ``?next=``, a search its words."""
    path, query = request.url.path, request.url.query
    here = f"{path}?{query}" if query and len(path) + len(query) < LANGUAGE_NEXT_MAX else path
    return Template(
        template_name=name,
        context={"lang": language(request), "path": path, "here": here, **context},
        status_code=status_code,
        headers={"Vary": "Cookie, Accept-Language"},
    )


def language(request: Request[Any, Any, Any]) -> str:
    return i18n.negotiate(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
