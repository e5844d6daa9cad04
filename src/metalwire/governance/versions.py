"""Methodology versions: a family's history and the version in force on a date.

The link from an assessment to its methodology is derived by date, never stored: the version in
force on the assessment's market date. It is deterministic because a version is never changed
once written and takes effect at least 28 days after the day it was decided
(rules.check_decision), so no assessment already made ever changes version. The packaged document
(methodology/<family>.md) is the first version on record, with the number and date it states
("Methodology version: 1 (effective 2026-11-26)"); an assessment of an earlier date links to it
too. Later versions are rows, made by adopted consultations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire import methodology
from metalwire.errors import NotFound
from metalwire.governance.models import MethodologyVersion
from metalwire.governance.rules import Dated, in_force
from metalwire.i18n import N_, gettext_in

FIRST_SUMMARY = N_("The methodology as published with the platform.")


@dataclass(frozen=True)
class VersionRef:
    """What an assessment names: the family's version in force on its market date."""

    family: str
    number: int
    effective: dt.date

    @property
    def url(self) -> str:
        return f"/methodology/{self.family}?version={self.number}"

    def as_json(self) -> dict[str, object]:
        return {
            "family": self.family,
            "number": self.number,
            "effective": self.effective.isoformat(),
            "url": self.url,
        }


@dataclass(frozen=True)
class VersionView:
    """One entry of a family's history, with its text."""

    family: str
    number: int
    effective: dt.date
    summary: str
    text: str
    consultation_id: int | None
    # The Chinese beside them: None for a version adopted before Chinese was asked (0017).
    summary_zh: str | None = None
    text_zh: str | None = None

    @property
    def ref(self) -> VersionRef:
        return VersionRef(self.family, self.number, self.effective)


def require_family(family: str) -> str:
    """A published methodology family (a document under methodology/), or NotFound."""
    if family not in methodology.families():
        raise NotFound(f"no methodology family {family!r}", field="family")
    return family


def base(family: str) -> Dated:
    """The packaged document's version: the family's first on record."""
    number, effective = methodology.packaged_version(family)
    return Dated(number, effective)


def next_number(family: str, rows: list[MethodologyVersion]) -> int:
    return (rows[-1].number if rows else base(family).number) + 1


def stored(session: Session, family: str) -> list[MethodologyVersion]:
    query = select(MethodologyVersion).where(MethodologyVersion.family == family)
    return list(session.scalars(query.order_by(MethodologyVersion.number)))


def version_on(session: Session, family: str, day: dt.date) -> VersionRef:
    """The version of ``family`` in force on ``day`` (one statement)."""
    rows = session.execute(
        select(MethodologyVersion.number, MethodologyVersion.effective_from).where(
            MethodologyVersion.family == family
        )
    ).all()
    found = in_force(base(family), [Dated(number, effective) for number, effective in rows], day)
    return VersionRef(family, found.number, found.effective)


def history(session: Session, family: str) -> list[VersionView]:
    """Every version of the family, oldest first: the packaged document, then each adopted
    change (including those announced for a later date)."""
    require_family(family)
    first = base(family)
    packaged = VersionView(
        family,
        first.number,
        first.effective,
        FIRST_SUMMARY,
        methodology.packaged_text(family) or "",
        None,
        gettext_in("zh", FIRST_SUMMARY),
        methodology.packaged_text(family, "zh"),
    )
    return [
        packaged,
        *(
            VersionView(
                family,
                v.number,
                v.effective_from,
                v.summary,
                v.text,
                v.consultation_id,
                v.summary_zh,
                v.text_zh,
            )
            for v in stored(session, family)
        ),
    ]


def one_version(session: Session, family: str, number: int) -> VersionView:
    for version in history(session, family):
        if version.number == number:
            return version
    raise NotFound(f"{family} has no version {number}", field="version")
