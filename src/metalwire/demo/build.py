"""Build the demo market: series, desk staff and two years of prices, through the real services.

Every value goes the way a real one does: contributors' submissions into
``pricing.submissions.add_submissions``, the analyst's ``assess_day``, the editor's approval (four
eyes), release at the series' own time. Nothing writes an assessment directly, so the demo
exercises the engine, the audit trail and the release rules it shows off.

Demo accounts, all with the password ``metalwire-demo``:

=========================== ========== ============ ==========================================
e-mail                      role       plan         for
=========================== ========== ============ ==========================================
analyst@metalwire.demo      analyst    enterprise   submits evidence, assesses
editor@metalwire.demo       editor     enterprise   approves what the analyst assessed
reader@metalwire.demo       reader     free         the free site and API
subscriber@metalwire.demo   subscriber subscriber   premium series, exports
=========================== ========== ============ ==========================================

Rerunnable: users are added only when absent, submissions are idempotent on content, and a day
already approved is skipped; a second build with the same seed and ``now`` adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import Role, User
from metalwire.accounts.service import add_user, get_user
from metalwire.catalog.lifecycle import market_today
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.db.base import utcnow
from metalwire.demo.iron_ore import iron_ore_evidence
from metalwire.demo.markets import build_markets
from metalwire.demo.newsroom import build_newsroom
from metalwire.demo.prices import EPOCH, SeriesMarket, contributors, daily_levels, day_evidence
from metalwire.demo.series import DemoSeries, demo_series, market_of
from metalwire.demo.settlements import trading_days
from metalwire.demo.surveys import build_surveys
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.desk import ASSESSED_KINDS, assessed_conditions
from metalwire.pricing.methodology import methodology_for
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.partner import enter_partner_value
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.review import approve_assessment
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from metalwire.reference_data import sync_reference_data

DEMO_ACTOR = "demo"
DEMO_PASSWORD = "metalwire-demo"
ANALYST = "analyst@metalwire.demo"
EDITOR = "editor@metalwire.demo"
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    (ANALYST, Role.ANALYST, "enterprise"),
    (EDITOR, Role.EDITOR, "enterprise"),
    ("reader@metalwire.demo", Role.READER, "free"),
    ("subscriber@metalwire.demo", Role.SUBSCRIBER, "subscriber"),
)
DEFAULT_DAYS = 730
# The editor signs off between the cut-off (30 minutes before release) and the release.
APPROVAL_LEAD = dt.timedelta(minutes=10)
# Today, the desk has approved this many of the series still before their release time: they
# are released later, at their time, while the site says they are expected soon.
APPROVED_AHEAD = 3

# (what is being done, how many done, how many in all); the CLI draws it as a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Desk:
    analyst: User
    editor: User


@dataclass
class _Book:
    """One assessed series in the demo: its row, its market, and its trading days in range."""

    row: PriceSeries
    market: SeriesMarket
    names: tuple[str, ...]
    today: dt.date
    days: list[dt.date]
    # A partner series' values as the partner delivered them (entered, never assessed).
    licensed: dict[dt.date, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @property
    def trades_today(self) -> bool:
        return bool(self.days) and self.days[-1] == self.today

    def release(self, day: dt.date) -> dt.datetime:
        return scheduled_release(self.row, day)


@dataclass
class _Tally:
    added: int = 0
    present: int = 0
    approved: int = 0
    days: set[dt.date] = field(default_factory=set)


DEFAULT_SURVEY_MONTHS = 36


def build_demo(
    session: Session,
    *,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
    seed: int = 7,
    progress: Progress | None = None,
) -> list[str]:
    """Build (or refresh) the demo market in the caller's transaction; returns summary lines.

    ``days`` of history up to today (each series' today, in its own timezone, at ``now``);
    the same ``seed`` and ``now`` build the same market.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    now = now or utcnow()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    sync_reference_data(session)
    definitions = demo_series()
    for item in definitions:
        define_series(session, SeriesDefinition.model_validate(item.model_dump()), actor=DEMO_ACTOR)
    desk = ensure_demo_users(session)
    books = _books(session, definitions, days=days, now=now, seed=seed)
    tally = _Tally()
    _submit(session, books, desk, now=now, seed=seed, tally=tally, progress=progress)
    # Off-grade iron-ore fines, normalized to 62% Fe, must be in before the day is assessed.
    iron_ore = iron_ore_evidence(session, now=now, seed=seed, days=days, analyst=desk.analyst)
    _assess_history(session, books, desk, tally=tally, progress=progress)
    _assess_today(session, books, desk, now=now, seed=seed, tally=tally)
    derived = _markets_surveys_reports(
        session, desk, now=now, seed=seed, days=days, progress=progress
    )
    return [
        *iron_ore,
        *derived,
        *[
            f"demo market: {len(definitions)} price series defined",
            f"demo users: {', '.join(email for email, _, _ in DEMO_USERS)} "
            f"(password {DEMO_PASSWORD})",
            f"demo prices: {len(books)} assessed series, {tally.added:,} submissions added "
            f"({tally.present:,} already present), {tally.approved:,} assessments approved "
            f"on {len(tally.days):,} market dates",
        ],
    ]


def _markets_surveys_reports(
    session: Session,
    desk: Desk,
    *,
    now: dt.datetime,
    seed: int,
    days: int,
    progress: Progress | None,
) -> list[str]:
    """What is computed from or beside the prices: markets, survey releases, reports; their
    summary lines (surveys, markets, reports)."""
    said = (lambda line: progress(line, 0, 0)) if progress else None
    # The markets first: the silver smelters cite export orders only in months the export
    # window opened.
    market_lines = build_markets(
        session,
        now=now,
        seed=seed,
        days=days,
        analyst=desk.analyst,
        editor=desk.editor,
        progress=said,
    )
    # Three years of survey returns for a full demo; a short test build keeps a few months.
    months = DEFAULT_SURVEY_MONTHS if days >= 365 else max(2, days // 30)
    survey_lines = build_surveys(
        session, editor=desk.editor, now=now, seed=seed, months=months, progress=said
    )
    report_lines = build_newsroom(
        session, editor=desk.editor, analyst=desk.analyst, now=now, days=min(30, days)
    )
    return [*survey_lines, *market_lines, *report_lines]


def ensure_demo_users(session: Session) -> Desk:
    """The demo's staff and readers, added when absent (an existing account is left alone)."""
    users: dict[str, User] = {}
    for email, role, plan in DEMO_USERS:
        user = get_user(session, email)
        if user is None:
            user = add_user(
                session, email, role=role, plan=plan, password=DEMO_PASSWORD, actor=DEMO_ACTOR
            )
        users[email] = user
    return Desk(analyst=users[ANALYST], editor=users[EDITOR])


def _books(
    session: Session,
    definitions: Sequence[DemoSeries],
    *,
    days: int,
    now: dt.datetime,
    seed: int,
) -> list[_Book]:
    demo = {d.code: d for d in definitions}
    rows = session.scalars(
        select(PriceSeries)
        .where(
            PriceSeries.code.in_(list(demo)),
            PriceSeries.status == SeriesStatus.ACTIVE,
            PriceSeries.kind.in_(ASSESSED_KINDS),
        )
        .order_by(PriceSeries.code)
    )
    books = []
    for row in rows:
        spec = demo[row.code]
        market = market_of(row, spec)
        today = market_today(row, now)
        # The paths start at EPOCH (the first year the calendars cover): no history before it.
        start = max(today - dt.timedelta(days=days), EPOCH)
        books.append(
            _Book(
                row,
                market,
                contributors(row.code, seed),
                today,
                trading_days(row.calendar, start, today),
            )
        )
    return books


def _submit(
    session: Session,
    books: Sequence[_Book],
    desk: Desk,
    *,
    now: dt.datetime,
    seed: int,
    tally: _Tally,
    progress: Progress | None,
) -> None:
    """Every contributor's evidence, one batch per series; what arrives after ``now`` waits."""
    for number, book in enumerate(books, start=1):
        family = methodology_for(book.row.methodology)
        items: list[SubmissionIn] = []
        levels = daily_levels(book.market, book.days, seed)
        for day, level in zip(book.days, levels, strict=True):
            cutoff = family.cutoff(book.release(day))
            evidence = day_evidence(book.market, day, level, cutoff, book.names, seed)
            arrived = [i for i in evidence if i.received_at is None or i.received_at <= now]
            if book.market.partner is None:
                items.extend(arrived)
            for item in arrived:  # the partner's delivery: entered, not submitted
                if item.low is not None and item.high is not None:
                    book.licensed[day] = (item.low, item.high)
        if items:
            ids, present = add_submissions(
                session, items, actor=desk.analyst.email, source="demo", now=now
            )
            tally.added += len(ids)
            tally.present += present
        if progress:
            progress("submissions", number, len(books))


def _approved(session: Session, books: Sequence[_Book]) -> set[tuple[int, dt.date]]:
    first = min((b.days[0] for b in books if b.days), default=EPOCH)
    rows = session.execute(
        select(Assessment.series_id, Assessment.market_date).where(
            Assessment.series_id.in_([b.row.id for b in books]),
            Assessment.market_date >= first,
            Assessment.status == AssessmentStatus.APPROVED,
        )
    )
    return {(series_id, day) for series_id, day in rows}


def _assess_and_approve(
    session: Session,
    day: dt.date,
    books: Sequence[_Book],
    desk: Desk,
    *,
    whole_market: bool,
    not_after: dt.datetime | None = None,
    tally: _Tally,
) -> None:
    """The analyst assesses (and enters the partners' values), then the editor approves each
    draft shortly before its release."""
    if whole_market:
        drafts = assess_day(session, day, user=desk.analyst).assessments
    else:
        drafts = [
            draft
            for book in books
            if book.market.partner is None
            for draft in assess_day(
                session, day, user=desk.analyst, series_code=book.row.code
            ).assessments
        ]
    for book in books:
        if book.market.partner is not None and day in book.licensed:
            low, high = book.licensed[day]
            drafts.append(
                enter_partner_value(
                    session, book.row.code, day, low=low, high=high, user=desk.analyst
                )
            )
    for draft in drafts:
        # approve_day would stamp one approval time on the whole date; series release from
        # 11:00 Shanghai to 17:30 Singapore and 16:30 London, so each is approved on its own.
        when = scheduled_release(draft.series, day) - APPROVAL_LEAD
        if not_after is not None:
            when = min(when, not_after)
        approve_assessment(session, draft.id, user=desk.editor, now=when)
    tally.approved += len(drafts)
    if drafts:
        tally.days.add(day)


def _assess_history(
    session: Session,
    books: Sequence[_Book],
    desk: Desk,
    *,
    tally: _Tally,
    progress: Progress | None,
) -> None:
    """Every market date before today, oldest first (each price's change is against the last)."""
    approved = _approved(session, books)
    assessed_ids = set(session.scalars(select(PriceSeries.id).where(*assessed_conditions())))
    by_day: dict[dt.date, list[_Book]] = {}
    for book in books:
        for day in book.days:
            if day < book.today and (book.row.id, day) not in approved:
                by_day.setdefault(day, []).append(book)
    for number, day in enumerate(sorted(by_day), start=1):
        due = by_day[day]
        # One assess_day for the whole market when every assessed series trades that day;
        # series by series on a holiday of one market (London open, Shanghai shut).
        whole = {b.row.id for b in due if b.market.partner is None} == assessed_ids
        _assess_and_approve(session, day, due, desk, whole_market=whole, tally=tally)
        if progress:
            progress("assessments", number, len(by_day))


def _assess_today(
    session: Session,
    books: Sequence[_Book],
    desk: Desk,
    *,
    now: dt.datetime,
    seed: int,
    tally: _Tally,
) -> None:
    """Today as a desk lives it at ``now``: released, approved ahead, late, not yet done.

    Series past their release time are assessed and approved, except one or two the desk is
    late with (``delayed`` on the site); of those still ahead, the first few are approved and
    wait for their release (``pending``: "expected to be released soon"), the rest are open.
    """
    trading = [b for b in books if b.trades_today]
    released = [b for b in trading if b.release(b.today) <= now]
    ahead = sorted(
        (b for b in trading if b.release(b.today) > now),
        key=lambda b: (b.release(b.today), b.row.code),
    )
    rng = random.Random(f"{seed}:desk:{now.astimezone(dt.UTC).date().isoformat()}")
    early = ahead[:APPROVED_AHEAD]
    if released:
        late = rng.sample(released, k=min(len(released), 1 if len(released) < 6 else 2))
    else:
        rest = ahead[APPROVED_AHEAD:]
        late = rng.sample(rest, k=min(len(rest), 1))
    approved = _approved(session, trading)
    left_late = {b.row.code for b in late}
    for book in [*released, *early]:
        if book.row.code in left_late or (book.row.id, book.today) in approved:
            continue
        _assess_and_approve(
            session, book.today, [book], desk, whole_market=False, not_after=now, tally=tally
        )
