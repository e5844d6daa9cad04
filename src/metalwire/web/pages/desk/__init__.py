"""The analyst desk: prices (assess, override, approve, correct), evidence, contributors, series
(define, change, discontinue), reports and survey releases, one module each; ``forms`` holds
what their forms share."""

from __future__ import annotations

from fastapi import APIRouter

from metalwire.web.pages.desk import contributors, prices, reports, series, submissions, surveys

# The parts' own routers, mounted side by side: a router included in another is not a list of
# routes any more (FastAPI keeps it as one nested entry), and the route table that the access
# matrix and the statement counts walk would not see them.
ROUTERS: tuple[APIRouter, ...] = (
    prices.router,
    submissions.router,
    contributors.router,
    series.router,
    reports.router,
    surveys.router,
)
