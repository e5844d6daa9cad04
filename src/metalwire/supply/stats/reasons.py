"""Why output moves: the forecast's movers and the reasons respondents cite.

Movers are the provinces and producer types whose forecast differs from their output, each with
the reason codes of the respondents moving the same way, and only those reasons that move output
that way (``moves`` in supply/data/reasons.yaml). Each reason code is attributed the whole
month-on-month change of every matched respondent citing it, so reason volumes say how much
output each explanation covers and need not add up to the change.
"""

from __future__ import annotations

from decimal import Decimal

from metalwire.catalog.units import round_price
from metalwire.supply.reference import reason_moves
from metalwire.supply.stats.model import ZERO, ForecastMovers, Mover, ReasonLine
from metalwire.supply.stats.panel import Month, Panel


def forecast_movers(
    panel: Panel, month: Month, change_cells: list[Decimal], decimals: int
) -> ForecastMovers:
    """Provinces and producer types whose forecast differs from their output, largest move
    first, each with the reasons of the respondents moving that way."""
    change: dict[tuple[str, str], Decimal] = {}
    for cell, delta in enumerate(change_cells):
        for group in (
            ("province", panel.cell_province[cell]),
            ("producer_type", panel.cell_type[cell]),
        ):
            change[group] = change.get(group, ZERO) + delta
    # The reasons behind each group's cuts and increases, weighted by the volume moving.
    behind: dict[tuple[str, str, bool], dict[str, Decimal]] = {}
    directions = reason_moves()
    by_id = panel.by_id
    for item in month.reasoned:
        forecast = item.forecast_next
        if forecast is None or forecast == item.production:
            continue
        delta = forecast - item.production
        cut = delta < 0
        weight = -delta if cut else delta
        member = by_id[item.respondent]
        province = behind.setdefault(("province", member.province, cut), {})
        kind = behind.setdefault(("producer_type", member.producer_type, cut), {})
        for code in item.reasons:
            # A cut is explained by reasons that cut output, an increase by those that raise it:
            # "expected to raise output, citing maintenance" would read the return backwards.
            moves = directions.get(code)
            if moves is not None and (moves.measure != "output" or not moves.agrees(float(delta))):
                continue
            province[code] = province.get(code, ZERO) + weight
            kind[code] = kind.get(code, ZERO) + weight

    def mover(kind: str, name: str, delta: Decimal) -> Mover:
        codes = behind.get((kind, name, delta < 0), {})
        ranked = sorted(codes, key=lambda code: (-codes[code], code))
        return Mover(kind, name, round_price(delta, decimals), tuple(ranked))

    # Largest move first; at equal moves provinces before producer types, then by name.
    order = {"province": 0, "producer_type": 1}
    cuts = sorted(
        (delta, order[kind], kind, name) for (kind, name), delta in change.items() if delta < 0
    )
    increases = sorted(
        (-delta, order[kind], kind, name) for (kind, name), delta in change.items() if delta > 0
    )
    return ForecastMovers(
        cuts=tuple(mover(kind, name, delta) for delta, _, kind, name in cuts),
        increases=tuple(mover(kind, name, -delta) for delta, _, kind, name in increases),
    )


def reasons_for_change(
    month: Month, previous: Month | None, decimals: int
) -> tuple[ReasonLine, ...]:
    """Each reason code with the whole MoM change of the matched respondents citing it."""
    before = previous.values if previous is not None else {}
    volume: dict[str, Decimal] = {}
    count: dict[str, int] = {}
    for item in month.reasoned:
        then = before.get(item.respondent)
        if then is None:  # a panel addition has no change to explain
            continue
        change = item.production - then
        for code in item.reasons:
            volume[code] = volume.get(code, ZERO) + change
            count[code] = count.get(code, 0) + 1
    ranked = sorted(volume, key=lambda code: (-abs(volume[code]), code))
    return tuple(
        ReasonLine(code, round_price(volume[code], decimals), count[code]) for code in ranked
    )
