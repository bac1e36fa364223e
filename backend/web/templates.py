"""The Jinja2 environment and the one helper pages use to render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from backend import vietnam
from backend.web.assets import FRONTEND_DIR, Assets
from backend.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, negotiate

TEMPLATES_DIR = FRONTEND_DIR / "templates"


def template_config(
    assets: Assets, translator: Translator, public_url: str, templates_dir: Path = TEMPLATES_DIR
) -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    gettext, ngettext = translator.jinja_callables()
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        asset=assets.url,
        public_url=public_url,
        languages=LANGUAGES,
        vnd=format_vnd,
        when=vietnam.when,
        file_size=vietnam.file_size,
    )
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


def format_vnd(amount: int) -> str:
    """150000 -> "150.000 ₫", the way amounts are written in Vietnam."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def page(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """Render a page in the request's language; pages vary by the language cookie."""
    return Template(
        template_name=name,
        context={"lang": language(request), "path": request.url.path, **context},
        status_code=status_code,
        headers={"Vary": "Cookie, Accept-Language"},
    )


def language(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))
