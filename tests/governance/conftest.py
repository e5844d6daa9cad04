"""A methodology change taken through its steps on the desk's clock, and a reader to comment
and complain."""

from __future__ import annotations

import datetime as dt

import pytest

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.governance import consultations
from metalwire.governance.consultations import Decision, Proposal
from metalwire.governance.rules import Outcome
from tests.conftest import Desk

FAMILY = "spot-prices"
PROPOSED = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
OPENS = PROPOSED.date()
CLOSES = dt.date(2026, 12, 15)  # fifteen days, the first and the last included
DECIDED = dt.date(2026, 12, 16)
EFFECTIVE = dt.date(2027, 1, 18)  # 33 days after the decision
NEW_TEXT = "# Spot prices\n\nVersion 2: three deals at least, weighted by volume.\n"
NEW_TEXT_ZH = "# 现货价格\n\n第2版：至少三笔成交，按成交量加权。\n"
# The Chinese beside each English text of proposal() and adopted().
CHINESE = {
    "title_zh": "至少三笔成交",
    "summary_zh": "现货价格需要三笔成交，而非两笔。",
    "rationale_zh": "两笔成交太少，无法排除异常值。",
    "text_zh": NEW_TEXT_ZH,
}
DECIDED_ZH = {
    "rationale_zh": "多数意见支持。",
    "response_to_comments_zh": "谢谢；流动性的顾虑由沿用规则解决。",
}


def proposal(**changes: str) -> Proposal:
    fields = {
        "family": FAMILY,
        "title": "Three deals at least",
        "summary": "A spot price needs three deals, not two.",
        "rationale": "Two deals are too few to rule out an outlier.",
        "text": NEW_TEXT,
        **CHINESE,
        **changes,
    }
    return Proposal(**fields)


def adopted(effective: dt.date = EFFECTIVE) -> Decision:
    return Decision(
        Outcome.ADOPTED,
        rationale="Supported by most respondents.",
        response_to_comments="Thanks; the liquidity concern is met by the carry-forward rule.",
        effective=effective,
        **DECIDED_ZH,
    )


def open_change(desk: Desk) -> int:
    """A proposal opened for comments from OPENS to CLOSES; its id."""
    with desk.db.transaction() as session:
        item = consultations.propose(session, proposal(), actor=desk.analyst.email, now=PROPOSED)
        consultations.open_consultation(
            session, item.id, closes=CLOSES, actor=desk.editor.email, today=OPENS
        )
        return item.id


@pytest.fixture
def reader(desk: Desk) -> User:
    with desk.db.transaction() as session:
        user = accounts.add_user(
            session, "reader@mill.cn", role=Role.READER, plan="free", actor="t"
        )
        user.display_name = "Li Lei"
        return user
