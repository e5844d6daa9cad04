"""Methodology pages: every price family's published rule, linked from every series, with its
version history and any consultation on a change (governance/)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from metalwire import methodology
from metalwire.governance import consultations, versions
from metalwire.governance.rules import Stage, stage_on
from metalwire.i18n import localized
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.deps import request_session
from metalwire.web.i18n import page_lang
from metalwire.web.pages.site import error_page, page

router = APIRouter(include_in_schema=False)


@router.get("/methodology", response_class=HTMLResponse)
@access("public")
def methodology_index(request: Request) -> HTMLResponse:
    lang = page_lang(request)
    rendered = methodology.render("index", lang)
    assert rendered is not None
    title, html = rendered
    return page(request, "methodology.html", title=title, html=html, text_lang=lang)


@router.get("/methodology/{code}", response_class=HTMLResponse)
@access("public")
def methodology_page(
    code: str,
    request: Request,
    version: Annotated[int | None, Query(ge=1, le=10_000, description="A version")] = None,
) -> HTMLResponse:
    """The version in force today (or the one asked for), its history and open consultations,
    in the page's language (a version adopted before Chinese was required reads in English)."""
    lang = page_lang(request)
    rendered = methodology.render(code, lang)
    if rendered is None:
        return error_page(request, 404, None)
    if code not in methodology.families():  # a general document (governance): no versions
        title, html = rendered
        return page(request, "methodology.html", title=title, html=html, text_lang=lang)
    today = now_of(request).date()
    with request_session(request) as session:
        history = versions.history(session, code)
        current = versions.version_on(session, code, today).number
        shown_number = version or current
        shown = next((v for v in history if v.number == shown_number), None)
        if shown is None:
            return error_page(request, 404, None)
        text_lang: str = lang
        if shown.number != history[0].number:
            text = localized(shown.text, shown.text_zh, lang)
            rendered, text_lang = methodology.render_text(text.text, code), text.lang
        open_now = [
            c
            for c in consultations.listing(session, family=code)
            if stage_on(c.stage, c.closes_on, today) is Stage.OPEN
        ]
        title, html = rendered
        return page(
            request,
            "methodology.html",
            title=title,
            html=html,
            text_lang=text_lang,
            history=history,
            current=current,
            shown=shown.number,
            open_consultations=open_now,
        )
