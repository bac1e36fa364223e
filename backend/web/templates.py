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
from types import CodeType
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup

from backend import i18n
from backend.web.assets import FRONTEND_DIR, Assets

TEMPLATES_DIR = FRONTEND_DIR / "templates"
LANGUAGE_COOKIE = "lang"


def template_config(
    assets: Assets,
    public_url: str,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    auto_reload: bool = True,
) -> TemplateConfig[JinjaTemplateEngine]:
    """``auto_reload``: look at each template file's time on every render (edits show
    without a restart; off in production, where it is a stat call per template used)."""
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
        bytecode_cache=_COMPILED,
    )
    # New style: Jinja formats the variables after translating. Installed for the
    # ``{% trans %}`` tags' sake, then replaced by the one-call forms below.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: message, lambda singular, plural, num: singular, newstyle=True
    )
    # Read the catalogues at start-up, not at the first request: they are then among
    # the objects frozen out of the collector's reach (app.freeze_start_up_objects).
    i18n.catalogues()
    environment.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
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
    # Templates compile at their first use, not here: compiling all ~100 cost every
    # process (each worker, each command) 1.3 s at start for pages it may never show.
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the process, keyed by name and source checksum: an
    app made again (each test's, a worker's) compiles nothing it compiled before."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str | None], CodeType] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[(bucket.key, bucket.checksum)] = bucket.code


_COMPILED = _CompiledTemplates()

# ``_()`` is a third of a page's time when Jinja's i18n calls go through three layers
# (the ``_`` alias, the new-style wrapper, our lookup), each a ``Context.call``. These
# do the same in one: translate, mark safe when autoescaping, always ``%``-format (so
# "%%" is "%" with or without variables), exactly as jinja2.ext's new style. The
# result of a message without variables is kept per language (the catalogues never
# change while the process runs); a bounded number, should a template translate data.
_PLAIN_LIMIT = 8192
_plain: dict[str, dict[str, str]] = {lang: {} for lang in i18n.LANGUAGES}


@pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    lang = _lang(context)
    autoescape = context.eval_ctx.autoescape
    if not variables and autoescape:
        kept = _plain.get(lang)
        if kept is not None:
            done = kept.get(message)
            if done is None:
                done = _marked(i18n.translate(lang, message), autoescape=True) % {}
                if len(kept) < _PLAIN_LIMIT:
                    kept[message] = done
            return done
    return _marked(i18n.translate(lang, message), autoescape) % variables


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = i18n.translate_plural(_lang(context), singular, plural, num)
    return _marked(text, context.eval_ctx.autoescape) % variables


def _marked(text: str, autoescape: bool) -> str:
    # Our own catalogue's words, trusted as Jinja's gettext trusts them; the variables
    # are escaped by Markup's ``%``.
    return Markup(text) if autoescape else text  # noqa: S704


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
