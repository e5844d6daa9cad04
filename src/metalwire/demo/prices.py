"""The demo market's evidence: a daily price path per series and each day's submissions.

Pure code: plain data in, ``SubmissionIn`` out; the desk (build.py) sends them through the real
pricing service. Every random draw comes from a ``random.Random`` seeded with the build's seed
and what is drawn for (series, day), never from the global generator, so a day's evidence is the
same whatever range of days a build covers and whenever it runs.

A day's evidence follows the data hierarchy the engine applies: most days 3-6 deals with
volumes (transaction-based), some days only bids and offers (spread-based), a few days only
indications (interpolated), rarely nothing (carried forward); now and then an off-market deal
for the outlier filter and a submission after the cut-off. A partner's series carries one
indication a day: the range the partner published.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from metalwire.catalog.calendars import FIRST_YEAR
from metalwire.catalog.models import SeriesKind
from metalwire.catalog.units import round_price
from metalwire.demo.anchors import Anchor, anchored_levels
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.schemas import SubmissionIn

# Paths start here, the first day the market calendars cover, one step per calendar day.
EPOCH = dt.date(FIRST_YEAR, 1, 1)

# Outright prices not anchored to real data: a mean-reverting walk of the log price around the
# series' level, ~1% a day, pulled back with a half-life of about five weeks (stationary spread
# about 5%): lively charts that stay near the levels series.yaml documents.
OUTRIGHT_DAILY_SD = 0.01
OUTRIGHT_REVERSION = 0.02
# Anchored prices: the real monthly curve plus a small mean-reverting basis (~0.6%), the day-to-
# day texture a monthly average cannot show and the local market's own wobble.
BASIS_DAILY_SD = 0.004
BASIS_REVERSION = 0.2
# Premiums and discounts walk in money, not in percent, about their level: a daily step of a
# third of the typical range, reverting within a few weeks, now and then below zero (a discount).
PREMIUM_STEP_OF_SPREAD = 0.3
PREMIUM_REVERSION = 0.05

# Contributors' prices scatter around the day's level: deals by 0.4 x the series' typical range
# (3-6 deals then span about that range), bids and offers half a range either side.
DEAL_SD_OF_SPREAD = 0.4
QUOTE_SD_OF_SPREAD = 0.2
OUTLIER_RANGES = (4.0, 8.0)  # an off-market deal: 4-8 typical ranges from the day's level,
OUTLIER_MOVE = (0.03, 0.06)  # and for an outright price 3-6% at least

# Lot sizes per quoting unit (the volume unit of a deal); a family's minimum volume lifts them.
LOTS: dict[str, tuple[int, ...]] = {
    "mt": (20, 25, 50, 100, 200, 300, 500),
    "dmt": (20, 25, 50, 100, 200, 300, 500),
    "wmt": (20, 25, 50, 100, 200, 300, 500),
    "kg": (15, 30, 60, 100, 150, 300),
    "g": (1000, 3000, 5000, 10000),
    "oz": (100, 500, 1000, 2000, 5000),
    "lb": (1000, 2000, 5000, 10000),
    "piece": (50_000, 100_000, 200_000),
    "Wh": (1_000_000, 5_000_000, 20_000_000),
    "m2": (100_000, 500_000, 1_000_000),
    "mtu": (500, 1000, 2000, 5000),
    "dmtu": (500, 1000, 2000, 5000),
}
CONTRIBUTOR_ROLES = ("Producer", "Trader", "Consumer", "Trader")

# How a metalwire series' day goes, by cumulative probability; the rest are deal days.
NOTHING, INDICATIONS_ONLY, QUOTES_ONLY = 0.03, 0.09, 0.27
# Three deals are the minimum, and with three the outlier filter often leaves two (MAD of
# three prices is small): liquid days mostly bring more, and often a bid or an offer to fall
# back on.
DEALS_PER_DAY = (3, 4, 4, 5, 5, 6)
OUTLIER_CHANCE = 0.06  # of deal days with 4 deals or more
LATE_CHANCE = 0.03
FLOOR_QUOTE_CHANCE = 0.5  # a deal day also shows a bid or an offer


@dataclass(frozen=True)
class SeriesMarket:
    """What the demo needs to know about a series to make its market."""

    code: str
    kind: SeriesKind
    unit: str
    decimals: int
    level: Decimal
    spread: Decimal
    min_volume: Decimal
    anchor: Anchor | None = None
    partner: str | None = None  # the partner whose published range the series carries

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimals)


def contributors(code: str, seed: int) -> tuple[str, ...]:
    """The 5-8 desks that report a series, e.g. ("Producer 01", "Trader 02", ...)."""
    rng = random.Random(f"{seed}:contributors:{code}")
    count = rng.randint(5, 8)
    return tuple(f"{rng.choice(CONTRIBUTOR_ROLES)} {number:02d}" for number in range(1, count + 1))


def daily_levels(market: SeriesMarket, days: Sequence[dt.date], seed: int) -> list[float]:
    """The market's level on each day (in the series' currency and unit, unrounded)."""
    if not days:
        return []
    rng = random.Random(f"{seed}:path:{market.code}")
    end = max(days)
    level = float(market.level)
    walk: dict[dt.date, float] = {}
    day = EPOCH
    if market.kind is SeriesKind.PREMIUM:
        step = PREMIUM_STEP_OF_SPREAD * float(market.spread)
        value = level
        while day <= end:
            walk[day] = value
            value += PREMIUM_REVERSION * (level - value) + rng.gauss(0.0, step)
            day += dt.timedelta(days=1)
        return [walk[max(d, EPOCH)] for d in days]
    if market.anchor is not None:
        basis = 0.0
        while day <= end:
            walk[day] = basis
            basis += -BASIS_REVERSION * basis + rng.gauss(0.0, BASIS_DAILY_SD)
            day += dt.timedelta(days=1)
        real = anchored_levels(market.anchor, days, seed)
        return [value * math.exp(walk[max(d, EPOCH)]) for value, d in zip(real, days, strict=True)]
    centre = math.log(level)
    value = centre
    while day <= end:
        walk[day] = math.exp(value)
        value += OUTRIGHT_REVERSION * (centre - value) + rng.gauss(0.0, OUTRIGHT_DAILY_SD)
        day += dt.timedelta(days=1)
    return [walk[max(d, EPOCH)] for d in days]


class _Day:
    """One series' day on the market: its rng, level and the submissions made so far."""

    def __init__(
        self,
        market: SeriesMarket,
        day: dt.date,
        level: float,
        cutoff: dt.datetime,
        names: Sequence[str],
        seed: int,
    ) -> None:
        self.market = market
        self.day = day
        self.level = level
        self.cutoff = cutoff
        self.names = names
        self.rng = random.Random(f"{seed}:day:{market.code}:{day.isoformat()}")
        self.items: list[SubmissionIn] = []

    def price(self, value: float) -> Decimal:
        price = round_price(Decimal(repr(value)), self.market.decimals)
        if self.market.kind is SeriesKind.OUTRIGHT and price < self.market.step:
            return self.market.step  # an outright price is positive, however thin the market
        return price

    def received(self, *, late: bool = False) -> dt.datetime:
        # Reports come in through the morning session and up to the cut-off (a second before
        # it at the latest); a late one a few minutes after, which the engine must exclude.
        if late:
            return self.cutoff + dt.timedelta(minutes=self.rng.randint(1, 25))
        return self.cutoff - dt.timedelta(seconds=self.rng.randint(1, 150 * 60))

    def volume(self) -> Decimal:
        lot = Decimal(self.rng.choice(LOTS.get(self.market.unit, (10, 50, 100))))
        if lot < self.market.min_volume:
            # Below the family's minimum a deal would be excluded: trade in multiples of it.
            lot = self.market.min_volume * Decimal(self.rng.choice((1, 1, 1.5, 2, 3)))
        return lot

    def add(self, kind: SubmissionKind, *, late: bool = False, **values: Decimal | None) -> None:
        self.items.append(
            SubmissionIn(
                series=self.market.code,
                date=self.day,
                kind=kind,
                contributor=self.rng.choice(self.names),
                received_at=self.received(late=late),
                **values,
            )
        )

    def deal(self, value: float) -> None:
        self.add(SubmissionKind.DEAL, price=self.price(value), volume=self.volume())

    def quote(self, kind: SubmissionKind) -> None:
        half = float(self.market.spread) / 2
        side = -half if kind is SubmissionKind.BID else half
        sd = QUOTE_SD_OF_SPREAD * float(self.market.spread)
        self.add(kind, price=self.price(self.level + side + self.rng.gauss(0.0, sd)))

    def indication(self) -> None:
        spread = float(self.market.spread)
        centre = self.level + self.rng.gauss(0.0, QUOTE_SD_OF_SPREAD * spread)
        if self.rng.random() < 0.5:
            self.add(SubmissionKind.INDICATION, price=self.price(centre))
            return
        low, high = self.price(centre - spread / 2), self.price(centre + spread / 2)
        self.add(SubmissionKind.INDICATION, low=low, high=max(low, high))


def _partner_range(
    market: SeriesMarket,
    partner: str,
    today: _Day,
    day: dt.date,
    level: float,
    cutoff: dt.datetime,
) -> SubmissionIn:
    """A partner's published range around the day's level, in 45 minutes before the cut-off."""
    half = float(market.spread) / 2
    return SubmissionIn(
        series=market.code,
        date=day,
        kind=SubmissionKind.INDICATION,
        low=today.price(level - half),
        high=today.price(level + half),
        contributor=partner,
        received_at=cutoff - dt.timedelta(minutes=45),
        note=f"{partner} published range",
    )


def day_evidence(
    market: SeriesMarket,
    day: dt.date,
    level: float,
    cutoff: dt.datetime,
    names: Sequence[str],
    seed: int,
) -> list[SubmissionIn]:
    """The submissions one series receives on one market date (``cutoff`` aware, UTC)."""
    today = _Day(market, day, level, cutoff, names, seed)
    rng = today.rng
    if market.partner is not None:
        return [_partner_range(market, market.partner, today, day, level, cutoff)]
    regime = rng.random()
    if regime < NOTHING:
        return today.items
    if regime < INDICATIONS_ONLY:
        for _ in range(rng.randint(2, 4)):
            today.indication()
    elif regime < QUOTES_ONLY:
        for _ in range(rng.randint(1, 4)):
            today.quote(SubmissionKind.BID)
        for _ in range(rng.randint(1, 4)):
            today.quote(SubmissionKind.OFFER)
        if rng.random() < 0.3:  # a deal or two, too few for a transaction-based price
            for _ in range(rng.randint(1, 2)):
                today.deal(level + rng.gauss(0.0, DEAL_SD_OF_SPREAD * float(market.spread)))
    else:
        deals = rng.choice(DEALS_PER_DAY)
        for _ in range(deals):
            today.deal(level + rng.gauss(0.0, DEAL_SD_OF_SPREAD * float(market.spread)))
        if deals >= 4 and rng.random() < OUTLIER_CHANCE:
            # Off by several typical ranges, and for an outright by a few percent at least: a
            # fat finger or a distressed cargo the outlier filter should catch.
            away = rng.uniform(*OUTLIER_RANGES) * float(market.spread)
            if market.kind is SeriesKind.OUTRIGHT:
                away = max(away, rng.uniform(*OUTLIER_MOVE) * level)
            today.deal(level + away * rng.choice((-1, 1)))
        if rng.random() < FLOOR_QUOTE_CHANCE:
            today.quote(rng.choice((SubmissionKind.BID, SubmissionKind.OFFER)))
    if rng.random() < LATE_CHANCE:
        spread = float(market.spread)
        today.add(
            SubmissionKind.OFFER,
            late=True,
            price=today.price(level + spread / 2 + rng.gauss(0.0, QUOTE_SD_OF_SPREAD * spread)),
        )
    return today.items
