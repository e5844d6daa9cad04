"""Survey returns: the respondents' monthly figures, by API batch or file import (CSV/XLSX).

A batch is validated whole before anything is written: every problem is named by its row and
field, and one bad row rejects the batch. A new respondent joins the survey's panel with its
first return; a later return may carry new panel details.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.audit import record
from metalwire.db.base import utcnow
from metalwire.importing import read_rows
from metalwire.supply.models import Respondent, Survey, SurveyReturn
from metalwire.supply.reference import province_code, reasons
from metalwire.supply.return_rows import ReturnRow
from metalwire.supply.schemas import RETURN_COLUMNS, RETURN_VOLUME_LIMIT, ReturnIn, ReturnsResult
from metalwire.supply.service import get_survey, panel, period_start
from metalwire.tabular import ImportRejected, Problems, number_problems


def _check(survey: Survey, item: ReturnIn, known: Respondent | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    types = {t["code"] for t in survey.producer_types}
    if known is None:
        for name in ("name", "province", "producer_type", "capacity"):
            if getattr(item, name) in (None, ""):
                problems.append((name, f"needed for the new respondent {item.respondent!r}"))
    if item.province and province_code(item.province) is None:
        problems.append(("province", f"unknown province {item.province!r}"))
    if item.producer_type and item.producer_type not in types:
        problems.append(
            (
                "producer_type",
                f"unknown producer type {item.producer_type!r}; "
                f"use one of {', '.join(sorted(types))}",
            )
        )
    # Volumes in the survey's unit (tonnes): finite, within the limit, to the stored scale.
    numbers = [
        problem
        for name in ("capacity", "production", "inventory", "forecast_next")
        for problem in number_problems(name, getattr(item, name), RETURN_VOLUME_LIMIT)
    ]
    if numbers:
        return problems + numbers  # the sign checks below need sane numbers
    if item.capacity is not None and item.capacity <= 0:
        problems.append(("capacity", f"must be positive, got {item.capacity}"))
    for name in ("production", "inventory", "forecast_next"):
        value = getattr(item, name)
        if value is not None and value < 0:
            problems.append((name, f"must not be negative, got {value}"))
    unknown = [r for r in item.reasons if r not in reasons()]
    if unknown:
        problems.append(("reasons", f"unknown reason code(s) {', '.join(unknown)}"))
    return problems


def add_returns(
    session: Session,
    survey: Survey,
    items: Sequence[ReturnIn],
    *,
    actor: str,
    source: str = "api",
    row_numbers: Sequence[int] | None = None,
) -> ReturnsResult:
    """Validate every return, then write all of them (new respondents join the panel)."""
    respondents = {r.code: r for r in panel(session, survey)}
    problems, firsts = _validate(survey, items, respondents, row_numbers)
    if problems:
        raise ImportRejected(source, problems.items)
    return _write(session, survey, items, firsts, respondents, actor=actor, source=source)


def _validate(
    survey: Survey,
    items: Sequence[ReturnIn],
    respondents: dict[str, Respondent],
    row_numbers: Sequence[int] | None,
) -> tuple[Problems, dict[str, ReturnIn]]:
    """Every problem of a batch, and the first return of each respondent new to the panel."""
    problems = Problems()
    firsts: dict[str, ReturnIn] = {}
    for index, item in enumerate(items):
        number = row_numbers[index] if row_numbers else index + 1
        known = respondents.get(item.respondent)
        if known is None and item.respondent in firsts:
            known_item = firsts[item.respondent]  # joined earlier in the same batch
            item = item.model_copy(
                update={
                    k: getattr(item, k) or getattr(known_item, k)
                    for k in ("name", "province", "producer_type", "capacity")
                }
            )
        for name, message in _check(survey, item, known):
            problems.add(number, name, message)
        if known is None:
            firsts.setdefault(item.respondent, item)
    return problems, firsts


def _write(
    session: Session,
    survey: Survey,
    items: Sequence[ReturnIn],
    firsts: dict[str, ReturnIn],
    respondents: dict[str, Respondent],
    *,
    actor: str,
    source: str,
) -> ReturnsResult:
    new_codes = _join_panel(session, survey, firsts, respondents)
    for item in items:
        if item.respondent not in firsts:
            _update_panel_details(session, survey, respondents[item.respondent], item, actor)
    session.flush()
    added, replaced = _store(session, survey, items, respondents, actor)
    if added or new_codes:
        record(
            session,
            actor=actor,
            action="add-returns",
            object_type="survey",
            object_id=survey.code,
            after={"source": source, "added": added, "new_respondents": new_codes},
        )
    return ReturnsResult(added=added, replaced=replaced, new_respondents=new_codes)


def _join_panel(
    session: Session,
    survey: Survey,
    firsts: dict[str, ReturnIn],
    respondents: dict[str, Respondent],
) -> list[str]:
    """New respondents join the panel from their first return; their codes."""
    for code, item in firsts.items():
        respondent = Respondent(
            survey_id=survey.id,
            code=code,
            name=item.name or code,
            province=province_code(item.province or "") or "",
            producer_type=item.producer_type or "",
            capacity=item.capacity or Decimal(0),
            # A respondent joins the panel with its first return's month.
            active_from=period_start(item.period),
        )
        session.add(respondent)
        respondents[code] = respondent
    return list(firsts)


def _store(
    session: Session,
    survey: Survey,
    items: Sequence[ReturnIn],
    respondents: dict[str, Respondent],
    actor: str,
) -> tuple[int, int]:
    """Each return added, or replacing the respondent's return for that month when it differs
    (the earlier figures kept in the trail); how many were added and replaced."""
    existing = {
        (r.respondent_id, r.period): r
        for r in session.scalars(
            select(SurveyReturn).where(
                SurveyReturn.survey_id == survey.id,
                SurveyReturn.period.in_({i.period for i in items}),
            )
        )
    }
    added = replaced = 0
    for item in items:
        respondent = respondents[item.respondent]
        values = {
            "production": item.production,
            "inventory": item.inventory,
            "forecast_next": item.forecast_next,
            "reasons": list(item.reasons),
            "note": item.note,
        }
        row = existing.get((respondent.id, item.period))
        if row is None:
            row = SurveyReturn(
                survey_id=survey.id,
                respondent_id=respondent.id,
                period=item.period,
                entered_by=actor,
                **values,
            )
            session.add(row)
            existing[(respondent.id, item.period)] = row
            added += 1
        else:
            before = {k: getattr(row, k) for k in values}
            if before != values:
                for key, value in values.items():
                    setattr(row, key, value)
                row.entered_by, row.received_at = actor, utcnow()
                record(
                    session,
                    actor=actor,
                    action="revise-return",
                    object_type="survey_return",
                    object_id=f"{survey.code}/{item.respondent}/{item.period}",
                    before=before,
                    after=values,
                )
                replaced += 1
    return added, replaced


def _update_panel_details(
    session: Session, survey: Survey, respondent: Respondent, item: ReturnIn, actor: str
) -> None:
    """A later return may carry new panel details (a capacity expansion, a corrected province)."""
    wanted = {
        "name": item.name,
        "province": province_code(item.province) if item.province else None,
        "producer_type": item.producer_type,
        "capacity": item.capacity,
    }
    changes = {k: v for k, v in wanted.items() if v is not None and getattr(respondent, k) != v}
    if not changes:
        return
    before = {k: getattr(respondent, k) for k in changes}
    for key, value in changes.items():
        setattr(respondent, key, value)
    record(
        session,
        actor=actor,
        action="update",
        object_type="respondent",
        object_id=f"{survey.code}/{respondent.code}",
        before=before,
        after=changes,
    )


def import_returns(session: Session, path: Path, *, actor: str) -> dict[str, ReturnsResult]:
    """All-or-nothing import of a survey file (CSV/XLSX): every bad row listed, nothing written."""
    surveys: dict[str, Survey | None] = {}

    def check(rows: Sequence[tuple[int, ReturnRow]], problems: Problems) -> None:
        by_survey: dict[str, list[tuple[int, ReturnRow]]] = {}
        for number, item in rows:
            if item.survey not in surveys:
                surveys[item.survey] = get_survey(session, item.survey)
            if surveys[item.survey] is None:
                problems.add(number, "survey", f"unknown survey {item.survey!r}")
            else:
                by_survey.setdefault(item.survey, []).append((number, item))
        # Every survey's rows checked before any is written: one bad row anywhere rejects the file.
        for code, group in by_survey.items():
            survey = surveys[code]
            assert survey is not None
            found, _ = _validate(
                survey,
                [item for _, item in group],
                {r.code: r for r in panel(session, survey)},
                [number for number, _ in group],
            )
            for problem in found.items:
                problems.add(problem.row, problem.field, problem.message)

    by_survey: dict[str, list[tuple[int, ReturnRow]]] = {}
    for number, item in read_rows(path, ReturnRow, RETURN_COLUMNS, check=check):
        by_survey.setdefault(item.survey, []).append((number, item))
    results: dict[str, ReturnsResult] = {}
    for code, rows in by_survey.items():
        survey = surveys[code]
        assert survey is not None
        results[code] = add_returns(
            session,
            survey,
            [r for _, r in rows],
            actor=actor,
            source=str(path),
            row_numbers=[n for n, _ in rows],
        )
    return results
