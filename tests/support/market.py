"""One small market every kind of caller reads: prices released, embargoed (approved, not yet
released at NOW) and drafted, on a free and a premium series, with values that appear nowhere
else, so that a leak shows as those digits in an answer (the access matrix, the API route
contracts)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.delivery.webhooks import add_endpoint
from metalwire.indices import service as indices
from metalwire.markets import service as markets
from tests.conftest import ScratchDatabase
from tests.pricing.conftest import PREMIUM, SILVER, Desk, define_demo_series
from tests.support.desk import Deals, publish, three_deals

RELEASED_DAY = dt.date(2026, 11, 24)
EMBARGO_DAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 Shanghai: before the 11:30 release

# Digits that appear nowhere else: if they show up in a response, a value leaked.
RELEASED_FREE = ("7711", "7733", "7722")  # low, high, mid of the released free price
RELEASED_PREMIUM = ("6161", "6767", "6464")
EMBARGOED = ("8123", "8127", "8125", "5151", "5353", "5252")  # approved, not yet released
DRAFTS = ("8231", "8235", "8233")  # assessed, never approved
# Released long ago: past the free plan's 30-day history window however ``as_of`` or a date
# range is set (the window runs from the real today), inside the subscriber's five years.
OLD_DAY = dt.date(2026, 6, 1)
OLD_FREE = ("7411", "7433", "7422")


@dataclass
class Market:
    released_ids: list[int]
    embargoed_ids: list[int]
    draft_ids: list[int]
    credentials: dict[str, dict[str, str]]  # caller -> headers (API key) for API routes
    cookies: dict[str, dict[str, str]]  # caller -> session cookie for pages
    webhook_ids: list[int] = field(default_factory=list)  # the subscriber's: theirs alone


# The subscriber's webhook: no other caller may see it (nor its delivery log).
WEBHOOK_URL = "https://hooks.subscriber.example/mw-hook-4949"


def _deals(prices: tuple[str, ...]) -> Deals:
    low, high, mid = prices
    return three_deals(low, mid, high)


def build_market(db: ScratchDatabase, folder: Path) -> Market:
    """Two series (free and premium), each released, embargoed and drafted; a user and an API
    key per kind of caller; settlements and an index over both series."""
    define_demo_series(db, SILVER, PREMIUM)
    with db.transaction() as session:
        analyst = accounts.add_user(
            session, "analyst@desk.cn", role=Role.ANALYST, plan="free", actor="t"
        )
        editor = accounts.add_user(
            session, "editor@desk.cn", role=Role.EDITOR, plan="free", actor="t"
        )
    desk = Desk(db, analyst, editor)
    early = NOW - dt.timedelta(hours=1)
    # Released on its own day, long before NOW.
    old_release = dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC)
    publish(desk, SILVER, OLD_DAY, _deals(OLD_FREE), approved_at=old_release)
    released = [
        publish(desk, SILVER, RELEASED_DAY, _deals(RELEASED_FREE), approved_at=early),
        publish(desk, PREMIUM, RELEASED_DAY, _deals(RELEASED_PREMIUM), approved_at=early),
    ]
    embargoed = [
        publish(desk, SILVER, EMBARGO_DAY, _deals(EMBARGOED[:3]), approved_at=early),
        publish(desk, PREMIUM, EMBARGO_DAY, _deals(EMBARGOED[3:]), approved_at=early),
    ]
    drafts = [publish(desk, SILVER, dt.date(2026, 11, 26), _deals(DRAFTS), approve=False)]
    credentials: dict[str, dict[str, str]] = {"anonymous": {}}
    cookies: dict[str, dict[str, str]] = {"anonymous": {}}
    plans = {
        "reader": (Role.READER, "free"),
        "subscriber": (Role.SUBSCRIBER, "subscriber"),
        "analyst": (Role.ANALYST, "free"),
        "editor": (Role.EDITOR, "free"),
    }
    with db.transaction() as session:
        for caller, (role, plan) in plans.items():
            email = f"{caller}@desk.cn"
            user = accounts.get_user(session, email) or accounts.add_user(
                session, email, role=role, plan=plan, actor="t"
            )
            secret = accounts.create_api_key(session, email, Scope.READ, actor="t").secret
            credentials[caller] = {"Authorization": f"Bearer {secret}"}
            cookies[caller] = {"mw_session": accounts.start_session(session, user)}
            if caller == "subscriber":
                hook = add_endpoint(
                    session,
                    user,
                    url=WEBHOOK_URL,
                    events=["price.released"],
                    allow_private=True,  # a name that resolves nowhere, never sent to
                    actor="t",
                )
                webhook_ids = [hook.endpoint.id]
    _markets(db, folder)
    return Market(released, embargoed, drafts, credentials, cookies, webhook_ids)


MATRIX_INDEX = "MW-MATRIX-INDEX"  # over the free and the premium series: premium


def _markets(db: ScratchDatabase, folder: Path) -> None:
    """Settlements for the silver arbitrage windows (both days, loaded before NOW) and an index
    over both series: their values must follow the gate like the prices they come from."""
    path = folder / "settlements.csv"
    path.write_text(
        "instrument,date,settle,volume,open_interest,currency,unit\n"
        + "".join(
            f"LBMA-AG,{day},30.5,,,USD,oz\nUSDCNY-FIX,{day},7.1,,,CNY,pt\n"
            for day in (RELEASED_DAY, EMBARGO_DAY)
        )
    )
    definition = {
        "code": MATRIX_INDEX,
        "name": "matrix",
        "base_value": "1000",
        "base_period": {"start": str(RELEASED_DAY), "end": str(RELEASED_DAY)},
        "formula": "laspeyres",
        "constituents": [{"series": SILVER, "weight": "1"}, {"series": PREMIUM, "weight": "1"}],
    }
    with db.transaction() as session:
        markets.sync_instruments(session, actor="t")
        markets.import_market(session, path, actor="t", now=NOW - dt.timedelta(hours=2))
        indices.define(session, json.dumps(definition), actor="t")
