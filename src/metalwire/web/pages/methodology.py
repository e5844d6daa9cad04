"""Methodology pages: every price family's published rule, linked from every series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from metalwire import methodology
from metalwire.web.access import access
from metalwire.web.i18n import page_lang
from metalwire.web.pages.site import error_page, page

router = APIRouter(include_in_schema=False)


@router.get("/methodology", response_class=HTMLResponse)
@access("public")
def methodology_index(request: Request) -> HTMLResponse:
    rendered = methodology.render("index", page_lang(request))
    assert rendered is not None
    title, html = rendered
    return page(request, "methodology.html", title=title, html=html)


@router.get("/methodology/{code}", response_class=HTMLResponse)
@access("public")
def methodology_page(code: str, request: Request) -> HTMLResponse:
    rendered = methodology.render(code, page_lang(request))
    if rendered is None:
        return error_page(request, 404, None)
    title, html = rendered
    return page(request, "methodology.html", title=title, html=html)
