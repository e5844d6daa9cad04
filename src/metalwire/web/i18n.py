"""One Jinja environment per language: the shared translations and number/date filters; and
the language a page is shown in."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from metalwire.i18n import Localized, fmt_date, fmt_delay, fmt_number, localized, translations
from metalwire.web.deps import Lang, resolve_lang

TEMPLATES = resources.files("metalwire.web").joinpath("templates")


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.filters["number"] = lambda v, d=None: fmt_number(v, lang, d)
    env.filters["date"] = lambda v: fmt_date(v, lang)
    env.filters["delay"] = lambda v: fmt_delay(v, lang)
    env.filters["name"] = lambda obj: getattr(obj, f"name_{lang}")
    env.filters["localized"] = lambda obj, field: in_page_lang(obj, field, lang)
    return env


def in_page_lang(obj: object, field: str, lang: str) -> Localized:
    """``obj.<field>`` as the page's reader reads it: ``<field>_zh`` on a Chinese page where
    written, else the English (the template marks its element with the language it is in)."""
    return localized(getattr(obj, field), getattr(obj, f"{field}_zh"), lang)


def render(lang: str, template: str, **context: Any) -> str:
    return environment(lang).get_template(template).render(**context)


def page_lang(request: Request) -> Lang:
    """A page's language: its ``?lang=``, then the remembered cookie, then the browser's."""
    return resolve_lang(request, request.query_params.get("lang"))


def translate(request: Request, message: str) -> str:
    """A message in the page's language; pages import it as ``_t``, the name ``make messages``
    extracts strings from."""
    return translations(page_lang(request)).gettext(message)
