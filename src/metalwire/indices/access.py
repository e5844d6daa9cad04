"""Who may read an index and the constituents inside it. The gate alone decides: an index
computed from series needs its own tier and group and, without a catalog series of its own,
every series constituent's (``may_read_derived``), so no index reveals a series above the plan.
"""

from __future__ import annotations

from metalwire.accounts.gate import Decision, Principal, may_read_derived, may_read_tier
from metalwire.indices.service import Access


def index_decision(principal: Principal, access: Access) -> Decision:
    """Whoever may read the index's own tier and group and, without its own catalog series,
    every series constituent."""
    return may_read_derived(principal, access.tier, access.group, access.inputs)


def locked_constituents(principal: Principal, access: Access) -> set[str]:
    """Series constituents the reader may not read inside an index they may read: listed
    without their prices or contributions."""
    return {
        code
        for code, (tier, group) in access.constituent_inputs.items()
        if not may_read_tier(principal, tier, group)
    }
