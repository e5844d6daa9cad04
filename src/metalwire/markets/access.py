"""Who may read a market figure: an instrument's data and an arbitrage window (an index and
the constituents inside it: indices/access.py). The API (web/api/markets.py) and the pages
(web/pages/markets.py) ask here; here asks the gate, which alone decides: a figure computed from
series needs its own tier and every input's (``may_read_derived``), so no window reveals a
series above the plan.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from metalwire.accounts.gate import Decision, Principal, may_read_derived
from metalwire.markets import windows

INSTRUMENT_TIER = "free"  # exchange and reference data: every plan reads it


def instrument_decision(principal: Principal) -> Decision:
    """Settlements, curves and fixings of instruments, which are computed from no series."""
    return may_read_derived(principal, INSTRUMENT_TIER, None)


def window_decision(
    session: Session, principal: Principal, definition: windows.WindowDefinition
) -> Decision:
    """Whoever may read the window's tier and every series it takes as input."""
    return may_read_derived(
        principal,
        windows.tier_of(session, definition),
        None,
        windows.gate_inputs(session, definition),
    )
