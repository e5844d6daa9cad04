"""The analyst desk: prices (assess, override, approve, correct), evidence, reports and survey
releases, one module each; ``forms`` holds what their forms share."""

from __future__ import annotations

from fastapi import APIRouter

from metalwire.web.pages.desk import prices, reports, submissions, surveys

router = APIRouter(include_in_schema=False)
for part in (prices, submissions, reports, surveys):
    router.include_router(part.router)
