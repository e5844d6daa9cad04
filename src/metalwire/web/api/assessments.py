"""How a published price was made (GET /api/v1/assessments/{id}): its inputs, each named by
its contributor's public code, the exclusions with their reasons, method, statistics, rationale,
assessor and approver, and every published version — through the access gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from metalwire.accounts.gate import may_read_series_value, may_see_assessor_names
from metalwire.catalog.units import plain, round_price
from metalwire.governance.versions import version_on
from metalwire.pricing.assessing import get_assessment
from metalwire.pricing.contributors import codes_of_submissions, input_ids
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.phrases import explained_in
from metalwire.pricing.published import assessment_versions
from metalwire.web.access import access
from metalwire.web.api.prices import NOT_FOUND, now_of
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import AskedLang, DbSession, RowId
from metalwire.web.http_cache import cached, json_bytes
from metalwire.web.problems import not_found

router = APIRouter(tags=["prices"])


class ExcludedInput(BaseModel):
    submission_id: int
    contributor: str | None = Field(
        default=None, description="The contributor's public code (never its name)"
    )
    price: str
    reason: str
    reason_zh: str | None = None


class InputUsed(BaseModel):
    submission_id: int
    contributor: str | None = Field(
        description="The contributor's public code (never its name)", examples=["C-03"]
    )


class AssessmentVersion(BaseModel):
    version: int
    low: str
    high: str
    mid: str
    released_at: dt.datetime
    correction_reason: str | None


class AssessmentDetail(BaseModel):
    id: int
    series: str
    date: dt.date
    version: int
    low: str
    high: str
    mid: str
    vwap: str | None
    method: str
    carried_forward: bool
    deals_used: int
    volume_used: str
    statistics: dict[str, Any] = Field(
        description="IOSCO-style publication: ranges, averages, share of each input type"
    )
    inputs_used: list[int]
    inputs: list[InputUsed] = Field(description="The inputs used, each with its contributor code")
    excluded: list[ExcludedInput]
    explanation: str = Field(description="In the language asked for (lang), else English")
    explanation_zh: str | None = None
    lang: str = Field(description="The language of explanation and the exclusion reasons")
    rationale: str | None
    assessor: str
    approver: str | None
    released_at: dt.datetime
    versions: list[AssessmentVersion]
    methodology_version: dict[str, Any] = Field(description="In force on the market date")


ASSESSMENT_STATISTICS = (
    "price_min",
    "price_max",
    "price_avg",
    "volume_min",
    "volume_max",
    "volume_avg",
    "input_shares",
)


def _assessment_body(
    row: Assessment,
    versions: Sequence[Assessment],
    *,
    named: bool,
    codes: dict[int, str],
    lang: str = "en",
) -> dict[str, Any]:
    """The JSON of how a published price was made; ``named``: the assessor's and approver's
    e-mails (staff) rather than their roles; ``codes``: each input's contributor code by
    submission id; ``lang``: the language of the explanation and the exclusion reasons
    (English where no Chinese was written)."""
    series = row.series
    d = series.decimals
    data = row.explanation
    said = explained_in(data, lang)
    used = data.get("inputs_used", [])
    return {
        "id": row.id,
        "series": series.code,
        "date": row.market_date.isoformat(),
        "version": row.version,
        "low": str(round_price(row.low, d)),
        "high": str(round_price(row.high, d)),
        "mid": str(round_price(row.mid, d)),
        "vwap": None if row.vwap is None else str(round_price(row.vwap, d)),
        "method": row.method.value,
        "carried_forward": row.carried_forward,
        "deals_used": row.deals_used,
        "volume_used": plain(row.volume_used),
        "statistics": {k: data.get(k) for k in ASSESSMENT_STATISTICS},
        "inputs_used": used,
        "inputs": [{"submission_id": i, "contributor": codes.get(int(i))} for i in used],
        "excluded": [
            {**x, "contributor": codes.get(int(str(x["submission_id"])))} for x in said.excluded
        ],
        "explanation": said.text,
        "lang": said.lang,
        # The same sentences in Chinese (null for an assessment made before they were written).
        "explanation_zh": data.get("explanation_zh") or None,
        "rationale": row.rationale,
        # Who assessed and approved is on the audit trail; readers see roles, staff see names.
        "assessor": row.assessor.email if named else row.assessor.role.value,
        "approver": (row.approver.email if named else row.approver.role.value)
        if row.approver
        else None,
        "released_at": row.release_at.isoformat() if row.release_at else None,
        "versions": [
            {
                "version": v.version,
                "low": str(round_price(v.low, d)),
                "high": str(round_price(v.high, d)),
                "mid": str(round_price(v.mid, d)),
                "released_at": v.release_at.isoformat() if v.release_at else None,
                "correction_reason": v.correction_reason,
            }
            for v in versions
        ],
    }


@router.get("/assessments/{assessment_id}", response_model=AssessmentDetail, responses=NOT_FOUND)
@access("gated")
def assessment_detail(
    assessment_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: AskedLang = "en",
) -> Response:
    """How a published price was made: inputs used and excluded with reasons, method, statistics,
    rationale, assessor and approver, and every published version."""
    row = get_assessment(session, assessment_id)
    now = now_of(request)
    if row is None or row.status is not AssessmentStatus.APPROVED:
        raise not_found(f"assessment {assessment_id} not found")
    series = row.series
    decision = may_read_series_value(principal, series, row.market_date, row.release_at, now)
    if not decision:
        raise deny(decision, f"assessment {assessment_id}")
    versions = assessment_versions(session, row, as_of=now)
    named = bool(may_see_assessor_names(principal))
    codes = codes_of_submissions(session, input_ids(row.explanation))
    body = _assessment_body(row, versions, named=named, codes=codes, lang=lang)
    body["methodology_version"] = version_on(session, series.methodology, row.market_date).as_json()
    return cached(request, principal, json_bytes(body), "application/json")
