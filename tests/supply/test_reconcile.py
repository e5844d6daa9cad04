"""Totals that reconcile: a published level, its own change and last month's level agree, and
the change splits into the matched change and the panel's changes (supply/stats/reconcile.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from metalwire.supply.stats import Bridge, Respondent, Return, compute
from tests.supply.test_stats import OCTOBER, PANEL, SEPTEMBER, d, ret, smelter

SEPTEMBER_END = date(2025, 9, 30)
OCTOBER_START = date(2025, 10, 1)


def test_a_newcomer_is_in_the_total_and_its_change_but_not_in_the_matched_change() -> None:
    joined = [*PANEL, smelter("NEW", active_from=OCTOBER_START)]
    stats = compute("2025-10", joined, [*SEPTEMBER, *OCTOBER, ret("NEW", "2025-10", 50)])
    bridge = stats.output_bridge
    assert bridge is not None and bridge.panel_changed
    # 600 -> 620 in all, although the smelters in both months produced 30 less.
    assert (stats.production, stats.mom_abs) == (d("620.00"), d("-30.00"))
    assert (bridge.previous, bridge.change_abs, bridge.change_pct) == (
        d("600.00"),
        d("20.00"),
        d("3.33"),
    )
    assert (bridge.joined_count, bridge.joined_volume, bridge.left_count) == (1, d("50.00"), 0)


def test_a_leaver_and_an_unreported_member_are_told_apart() -> None:
    panel = [
        smelter("HN-1"),
        smelter("YN-1", active_to=SEPTEMBER_END),  # left the panel
        smelter("SD-1"),  # active, silent in October, and nothing to carry forward from
        smelter("ZJ-1", active_from=date(2025, 9, 1)),
    ]
    returns = [
        ret("HN-1", "2025-09", 300),
        ret("YN-1", "2025-09", 200),
        ret("ZJ-1", "2025-09", 10),
        ret("HN-1", "2025-10", 310),
    ]
    # ZJ-1 is silent in October and imputed from September (link 310/300): in the matched
    # sample. SD-1 never had a value: neither missing from the bridge nor a leaver.
    stats = compute("2025-10", panel, returns)
    bridge = stats.output_bridge
    assert bridge is not None
    assert [r.respondent for r in stats.dropped_respondents] == ["YN-1"]
    assert (bridge.left_count, bridge.left_volume, bridge.unreported_count) == (1, d("200.00"), 0)
    assert bridge.previous - bridge.left_volume + bridge.matched_change == stats.production


def test_stocks_reported_for_the_first_time_are_told_apart_from_the_matched_change() -> None:
    october = [*OCTOBER, ret("NEW", "2025-10", 50, inventory=25)]
    stats = compute("2025-10", [*PANEL, smelter("NEW")], [*SEPTEMBER, *october])
    bridge = stats.inventory_bridge
    assert bridge is not None
    # 90 -> 70: the matched smelters drew 45 down, the newcomer reports 25.
    assert (stats.inventory, stats.inventory_change_abs) == (d("70.00"), d("-45.00"))
    assert (bridge.previous, bridge.change_abs, bridge.joined_volume) == (
        d("90.00"),
        d("-20.00"),
        d("25.00"),
    )


def test_no_bridge_without_last_months_figures() -> None:
    stats = compute("2025-09", PANEL, SEPTEMBER)
    assert stats.output_bridge is None and stats.inventory_bridge is None


# --- the property over generated panels ------------------------------------------------------

tonnes = st.decimals(min_value=0, max_value=900, places=3, allow_nan=False, allow_infinity=False)
PERIODS = ("2025-08", "2025-09", "2025-10")


@st.composite
def panels(draw: st.DrawFn) -> tuple[list[Respondent], list[Return]]:
    """A panel where members join in October, leave after September, fall silent (imputed or
    not), start or stop reporting stocks: rising, falling, flat and panel-changing months."""
    size = draw(st.integers(min_value=1, max_value=7))
    panel, returns = [], []
    for n in range(size):
        life = draw(st.sampled_from(("always", "joins", "leaves")))
        panel.append(
            smelter(
                f"R{n}",
                draw(st.sampled_from(("henan", "yunnan"))),
                draw(st.sampled_from(("lead", "copper"))),
                active_from=OCTOBER_START if life == "joins" else None,
                active_to=SEPTEMBER_END if life == "leaves" else None,
            )
        )
        for period in PERIODS:
            if life == "joins" and period != "2025-10":
                continue
            if life == "leaves" and period == "2025-10":
                continue
            if draw(st.integers(0, 4)):  # four in five report
                stock = draw(st.none() | tonnes)
                returns.append(ret(f"R{n}", period, draw(tonnes), inventory=stock))
    return panel, returns


def _parts(bridge: Bridge) -> Decimal:
    matched = bridge.matched_change or Decimal(0)
    return matched + bridge.joined_volume - bridge.left_volume - bridge.unreported_volume


@settings(max_examples=300, deadline=None)
@given(panels())
def test_every_total_reconciles_with_last_months_and_splits_into_its_parts(
    survey: tuple[list[Respondent], list[Return]],
) -> None:
    panel, returns = survey
    stats = compute("2025-10", panel, returns)
    september = compute("2025-09", panel, returns)
    for bridge, level, previous, matched, kind in (
        (
            stats.output_bridge,
            stats.production,
            september.production,
            stats.mom_abs,
            "output",
        ),
        (
            stats.inventory_bridge,
            stats.inventory,
            september.inventory,
            stats.inventory_change_abs,
            "stocks",
        ),
    ):
        if bridge is None:
            assert level is None or previous is None, kind
            continue
        assert level is not None and previous is not None
        # The published level less its published change is last month's published level.
        assert level - bridge.change_abs == previous == bridge.previous, kind
        assert bridge.matched_change == matched, kind
        # Parts rounded once each: two levels and four parts, half a cent each at most.
        assert abs(bridge.change_abs - _parts(bridge)) <= Decimal("0.03"), kind
        if not bridge.panel_changed:
            # Same sample: the total's change is the matched change, but for the rounding.
            assert matched is not None and abs(bridge.change_abs - matched) <= Decimal("0.01")
    # Exact before rounding: the same panels at 20 decimals.
    fine = compute("2025-10", panel, returns, decimals=20)
    for bridge in (fine.output_bridge, fine.inventory_bridge):
        if bridge is not None:
            assert abs(bridge.change_abs - _parts(bridge)) <= Decimal("1e-18")
    if stats.output_bridge is not None:
        assert stats.output_bridge.joined_count == len(stats.new_respondents)
        assert stats.output_bridge.left_count == len(stats.dropped_respondents)
