"""Methodology governance over the API: each family's versions, the consultations on changes
(public once opened; comments by signed-in readers while open) and the desk's steps: propose,
open, decide. Writes need a role and, with an API key, its scope (accounts.gate.may_act)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from metalwire.accounts.gate import may_see_drafts
from metalwire.accounts.models import Scope
from metalwire.governance import consultations, versions
from metalwire.governance.consultations import Decision, Proposal
from metalwire.governance.models import Consultation
from metalwire.governance.rules import NOTE_LIMIT, TEXT_LIMIT, TITLE_LIMIT, Outcome, stage_on
from metalwire.i18n import localized
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.web.access import access
from metalwire.web.api.desk import WRITE_RESPONSES, acting_user
from metalwire.web.api.prices import NOT_FOUND, now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import AskedLang, DbSession, RowId

router = APIRouter(tags=["methodology"])
Family = Annotated[str, Path(max_length=CODE_LIMIT, description="A methodology family")]
Note = Annotated[str, Field(min_length=1, max_length=NOTE_LIMIT)]


class VersionOut(BaseModel):
    family: str
    number: int
    effective: dt.date
    summary: str = Field(description="In the language asked for (lang), else English")
    summary_zh: str | None = Field(description="In Chinese (null: adopted before Chinese)")
    lang: str = Field(description="The language of summary")
    consultation_id: int | None
    in_force: bool = Field(description="In force today (a later one may be announced)")
    url: str


@router.get("/methodology/{family}/versions", response_model=list[VersionOut], responses=NOT_FOUND)
@access("public")
def list_versions(
    request: Request, session: DbSession, family: Family, lang: AskedLang = "en"
) -> list[VersionOut]:
    """A family's methodology versions, oldest first: the packaged document, then each adopted
    change with its effective date (one announced for a later date included); the summaries
    in `lang`."""
    today = versions.version_on(session, family, now_of(request).date())
    return [
        VersionOut(
            family=v.family,
            number=v.number,
            effective=v.effective,
            summary=(summary := localized(v.summary, v.summary_zh, lang)).text,
            summary_zh=v.summary_zh,
            lang=summary.lang,
            consultation_id=v.consultation_id,
            in_force=v.number == today.number,
            url=v.ref.url,
        )
        for v in versions.history(session, family)
    ]


class CommentOut(BaseModel):
    id: int
    body: str
    name: str | None = Field(description="The commenter's name, only when they agreed")
    created_at: dt.datetime


ZH = "In Chinese (null on a consultation made before Chinese was required)"


class ConsultationOut(BaseModel):
    id: int
    family: str
    lang: str = Field(description="The language asked for (lang) where written, else en")
    title: str = Field(description="This and each text below: in lang where written")
    summary: str
    rationale: str
    proposed_text: str
    title_zh: str | None = Field(description=ZH)
    summary_zh: str | None = Field(description=ZH)
    rationale_zh: str | None = Field(description=ZH)
    proposed_text_zh: str | None = Field(description=ZH)
    stage: str = Field(description="proposed, open, closed (comment period over) or decided")
    opens_on: dt.date | None
    closes_on: dt.date | None
    outcome: str | None
    decision_rationale: str | None
    response_to_comments: str | None
    decision_rationale_zh: str | None = Field(description=ZH)
    response_to_comments_zh: str | None = Field(description=ZH)
    decided_on: dt.date | None
    version: dict[str, Any] | None = Field(description="The version an adoption made")
    comments: list[CommentOut]


def _decided_in(english: str | None, chinese: str | None, lang: str) -> str | None:
    return None if english is None else localized(english, chinese, lang).text


def consultation_out(item: Consultation, today: dt.date, lang: str = "en") -> ConsultationOut:
    """A consultation's JSON: each text in ``lang`` where written (a consultation made before
    Chinese was required reads in English), the Chinese beside it."""
    made = item.version
    title = localized(item.title, item.title_zh, lang)
    return ConsultationOut(
        id=item.id,
        family=item.family,
        lang=title.lang,
        title=title.text,
        summary=localized(item.summary, item.summary_zh, lang).text,
        rationale=localized(item.rationale, item.rationale_zh, lang).text,
        proposed_text=localized(item.proposed_text, item.proposed_text_zh, lang).text,
        title_zh=item.title_zh,
        summary_zh=item.summary_zh,
        rationale_zh=item.rationale_zh,
        proposed_text_zh=item.proposed_text_zh,
        stage=stage_on(item.stage, item.closes_on, today).value,
        opens_on=item.opens_on,
        closes_on=item.closes_on,
        outcome=item.outcome.value if item.outcome else None,
        decision_rationale=_decided_in(item.decision_rationale, item.decision_rationale_zh, lang),
        response_to_comments=_decided_in(
            item.response_to_comments, item.response_to_comments_zh, lang
        ),
        decision_rationale_zh=item.decision_rationale_zh,
        response_to_comments_zh=item.response_to_comments_zh,
        decided_on=item.decided_on,
        version=None
        if made is None
        else versions.VersionRef(made.family, made.number, made.effective_from).as_json(),
        comments=[
            CommentOut(
                id=c.id,
                body=c.body,
                name=(c.user.display_name or None) if c.show_name else None,
                created_at=c.created_at,
            )
            for c in item.comments
        ],
    )


@router.get("/consultations", response_model=list[ConsultationOut])
@access("public")
def list_consultations(
    request: Request, session: DbSession, principal: CurrentPrincipal, lang: AskedLang = "en"
) -> list[ConsultationOut]:
    """Methodology consultations, newest first: open, closed and decided, each with its
    comments (names only where the commenter agreed), its texts in `lang`. The desk sees
    proposals too."""
    today = now_of(request).date()
    staff = bool(may_see_drafts(principal))
    listed = consultations.listing(session, staff=staff)
    return [consultation_out(c, today, lang) for c in listed]


@router.get("/consultations/{consultation_id}", response_model=ConsultationOut, responses=NOT_FOUND)
@access("public")
def get_consultation(
    consultation_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: AskedLang = "en",
) -> ConsultationOut:
    """One consultation with its comments, decision and the version it made, its texts in
    `lang`."""
    staff = bool(may_see_drafts(principal))
    item = consultations.get(session, consultation_id, staff=staff)
    return consultation_out(item, now_of(request).date(), lang)


class ProposalIn(BaseModel):
    """Each text in English and in Chinese (written in Chinese): published in both."""

    family: str = Field(max_length=CODE_LIMIT, examples=["spot-prices"])
    title: str = Field(min_length=1, max_length=TITLE_LIMIT)
    summary: Note
    rationale: Note
    text: str = Field(min_length=1, max_length=TEXT_LIMIT, description="The proposed document")
    title_zh: str = Field(min_length=1, max_length=TITLE_LIMIT, examples=["至少三笔成交"])
    summary_zh: Note
    rationale_zh: Note
    text_zh: str = Field(min_length=1, max_length=TEXT_LIMIT, description="Its Chinese")


@router.post(
    "/consultations", status_code=201, response_model=ConsultationOut, responses=WRITE_RESPONSES
)
@access("write")
def propose(
    request: Request, session: DbSession, principal: CurrentPrincipal, body: ProposalIn
) -> ConsultationOut:
    """Propose a methodology change (the desk); public once opened for comments."""
    user = acting_user(session, principal, Scope.SUBMIT, "propose methodology changes")
    now = now_of(request)
    item = consultations.propose(session, Proposal(**body.model_dump()), actor=user.email, now=now)
    return consultation_out(item, now.date())


class OpenIn(BaseModel):
    closes: dt.date = Field(description="The last day comments are taken (UTC)")


@router.post(
    "/consultations/{consultation_id}/open",
    response_model=ConsultationOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def open_consultation(
    consultation_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: OpenIn,
) -> ConsultationOut:
    """Publish a proposal for comments from today to `closes` (at least 14 days; editors)."""
    user = acting_user(session, principal, Scope.PUBLISH, "open consultations")
    today = now_of(request).date()
    item = consultations.open_consultation(
        session, consultation_id, closes=body.closes, actor=user.email, today=today
    )
    return consultation_out(item, today)


class CommentIn(BaseModel):
    body: Note
    show_name: bool = Field(default=False, description="Publish your name with the comment")


@router.post(
    "/consultations/{consultation_id}/comments",
    status_code=201,
    response_model=CommentOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def post_comment(
    consultation_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: CommentIn,
) -> CommentOut:
    """Comment on an open consultation (signed in, or an API key of any scope)."""
    user = acting_user(session, principal, Scope.READ, "comment")
    made = consultations.comment(
        session, consultation_id, user, body.body, show_name=body.show_name, now=now_of(request)
    )
    name = (user.display_name or None) if made.show_name else None
    return CommentOut(id=made.id, body=made.body, name=name, created_at=made.created_at)


class DecisionIn(BaseModel):
    outcome: Outcome
    rationale: Note = Field(description="Published with the decision")
    response_to_comments: Note
    rationale_zh: Note = Field(description="The rationale in Chinese")
    response_to_comments_zh: Note = Field(description="The response in Chinese")
    effective: dt.date | None = Field(
        default=None, description="Adopted or amended: the first day in force (28 days ahead)"
    )
    text: str | None = Field(
        default=None, max_length=TEXT_LIMIT, description="Amended: the document as adopted"
    )
    text_zh: str | None = Field(
        default=None, max_length=TEXT_LIMIT, description="Amended: its Chinese, with text"
    )


@router.post(
    "/consultations/{consultation_id}/decide",
    response_model=ConsultationOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def decide(
    consultation_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: DecisionIn,
) -> ConsultationOut:
    """Decide a consultation after its comment period (editors): adopted and amended changes
    become the family's next version from their effective date."""
    user = acting_user(session, principal, Scope.PUBLISH, "decide consultations")
    today = now_of(request).date()
    item = consultations.decide(
        session, consultation_id, Decision(**body.model_dump()), actor=user.email, today=today
    )
    return consultation_out(item, today)
