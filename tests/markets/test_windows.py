"""Arbitrage windows from stored inputs (markets.windows), on both databases: every result
recomputed by hand from the inputs it returns, carry-forward, parameter effective dates,
open/closed stretches and reads as of an earlier instant."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from pydantic import ValidationError

from metalwire.markets import windows
from tests.conftest import Desk, define_demo_series
from tests.markets.conftest import AS_OF, D1, D2, D3
from tests.markets.helpers import correct, load
from tests.support import publish, three_deals

LOADED = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
OZ_PER_KG = Decimal("32.1507466")
CENT = Decimal("0.01")


def by_hand_export(row: windows.WindowRow) -> Decimal:
    values = {role: item.value for role, item in row.inputs.items()}
    p = row.parameters
    with localcontext() as context:
        context.prec = 50
        profit = (
            values["london"] * OZ_PER_KG * values["cny_per_usd"]
            - values["shanghai"] / (1 + p.vat)
            - (p.other_costs + p.port_costs / 1000)
        )
    return profit.quantize(CENT, ROUND_HALF_UP)


def by_hand_import(row: windows.WindowRow) -> Decimal:
    values = {role: item.value for role, item in row.inputs.items()}
    p = row.parameters
    with localcontext() as context:
        context.prec = 50
        cost = values["london"] * OZ_PER_KG * values["cny_per_usd"] * (1 + p.vat) * (
            1 + p.import_duty
        ) + (p.other_costs + p.port_costs / 1000)
        profit = values["shanghai"] - cost
    return profit.quantize(CENT, ROUND_HALF_UP)


def compute(desk: Desk, code: str, **kwargs: object) -> windows.WindowHistory:
    definition = windows.get_definition(code)
    assert definition is not None
    with desk.db.transaction() as session:
        return windows.compute(session, definition, **{"as_of": AS_OF, **kwargs})  # type: ignore[arg-type]


def test_silver_export_and_import_recompute_by_hand(silver: Desk) -> None:
    export = compute(silver, "AG-EXPORT")
    assert [r.date for r in export.rows] == [D1, D2, D3]
    for row in export.rows:
        assert row.profit == by_hand_export(row)
        assert row.open is (row.profit > 0)
        assert row.inputs["shanghai"].vat_inclusive is True
        assert row.parameters.fx_source == "USDCNY-FIX"
    assert [r.open for r in export.rows] == [True, True, False]
    (stretch,) = export.windows
    assert (stretch.opened, stretch.closed, stretch.days, stretch.peak_on) == (D1, D3, 2, D2)

    imported = compute(silver, "AG-IMPORT")
    for row in imported.rows:
        assert row.profit == by_hand_import(row)
    assert [r.open for r in imported.rows] == [False, False, True]
    (stretch,) = imported.windows
    assert (stretch.opened, stretch.closed) == (D3, None)


def test_a_missing_input_is_carried_with_its_own_date_then_stops(
    silver: Desk, tmp_path: Path
) -> None:
    row = compute(silver, "AG-EXPORT").rows[-1]
    assert row.date == D3
    assert row.inputs["london"].date == D2 and row.inputs["london"].value == Decimal("41.5")
    assert row.inputs["shanghai"].date == D3 and row.inputs["cny_per_usd"].date == D3
    # Nine days after the last London price: beyond the 5-day carry, no result that day.
    late = dt.date(2026, 12, 3)
    publish(silver, "AG-INGOT-CN-SPOT", late, three_deals("10700", "10700", "10700"))
    load(silver.db, tmp_path, [("USDCNY-FIX", late, "7.1")], LOADED)
    history = compute(silver, "AG-EXPORT", as_of=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    assert late in history.missing and late not in [r.date for r in history.rows]


def test_start_end_and_the_readers_floor(silver: Desk) -> None:
    history = compute(silver, "AG-EXPORT", start=D2, end=D2)
    assert [r.date for r in history.rows] == [D2]
    assert [w.opened for w in history.windows] == [D1]  # the stretch overlapping D2
    floored = compute(silver, "AG-EXPORT", floor=D2)
    assert [r.date for r in floored.rows] == [D2, D3]
    assert [w.opened for w in floored.windows] == [D2]  # nothing before the floor counts


def test_a_corrected_settlement_changes_the_result_from_its_load_on(
    silver: Desk, tmp_path: Path
) -> None:
    before = compute(silver, "AG-EXPORT").rows[1]
    later = AS_OF + dt.timedelta(hours=2)
    assert load(silver.db, tmp_path, [("LBMA-AG", D2, "41.200")], later) == (0, 1, 0)
    old = compute(silver, "AG-EXPORT", as_of=later - dt.timedelta(seconds=1)).rows[1]
    new = compute(silver, "AG-EXPORT", as_of=later).rows[1]
    assert old.profit == before.profit and old.inputs["london"].version == 1
    assert new.inputs["london"].value == Decimal("41.2") and new.inputs["london"].version == 2
    assert new.profit == by_hand_export(new) != old.profit


def test_a_corrected_series_price_changes_the_result_from_its_release_on(silver: Desk) -> None:
    at = AS_OF + dt.timedelta(hours=1)
    correct(silver, "AG-INGOT-CN-SPOT", D1, "10500", at)
    old = compute(silver, "AG-EXPORT", as_of=at - dt.timedelta(seconds=1)).rows[0]
    new = compute(silver, "AG-EXPORT", as_of=at).rows[0]
    assert old.inputs["shanghai"].value == Decimal("10550")
    assert new.inputs["shanghai"].value == Decimal("10500")
    assert new.inputs["shanghai"].version == 2 and new.profit == by_hand_export(new)


def test_an_unreleased_price_does_not_enter(silver: Desk) -> None:
    # D3's Shanghai price is released at 11:30 Shanghai (03:30 UTC) on D3.
    before = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    assert [r.date for r in compute(silver, "AG-EXPORT", as_of=before).rows] == [D1, D2]


def test_copper_parameters_take_effect_from_their_date(desk: Desk, tmp_path: Path) -> None:
    define_demo_series(desk.db, "CU-CATHODE-CN-PREMIUM", "CU-YANGSHAN-PREMIUM")
    june, july = dt.date(2026, 6, 30), dt.date(2026, 7, 1)
    rows = []
    for day in (june, july):
        publish(desk, "CU-CATHODE-CN-PREMIUM", day, three_deals("120", "120", "120"))
        publish(desk, "CU-YANGSHAN-PREMIUM", day, three_deals("50", "50", "50"))
        rows += [
            ("SHFE-CU-FRONT", day, "85380"),
            ("LME-CU-3M", day, "10650.5"),
            ("USDCNY-FIX", day, "7.0912"),
        ]
    load(desk.db, tmp_path, rows, dt.datetime(2026, 7, 1, 18, 0, tzinfo=dt.UTC))
    history = compute(desk, "CU-IMPORT", as_of=dt.datetime(2026, 7, 2, tzinfo=dt.UTC))
    assert [r.date for r in history.rows] == [june, july]
    for row in history.rows:
        v = {role: item.value for role, item in row.inputs.items()}
        p = row.parameters
        cost = (
            (v["lme_3m"] + v["cif_premium"]) * (1 + p.vat) * (1 + p.import_duty) * v["cny_per_usd"]
            + p.port_costs
            + p.other_costs
        )
        expected = (v["shfe_front"] + v["spot_premium"] - cost).quantize(CENT, ROUND_HALF_UP)
        assert row.profit == expected
    assert [r.parameters.port_costs for r in history.rows] == [Decimal(200), Decimal(220)]
    assert history.rows[0].profit - history.rows[1].profit == Decimal(20)


def test_zinc_states_its_assumed_inputs(desk: Desk, tmp_path: Path) -> None:
    day = D1
    load(
        desk.db,
        tmp_path,
        [("SHFE-ZN-FRONT", day, "22300"), ("USDCNY-FIX", day, "7.1")],
        LOADED,
    )
    load(desk.db, tmp_path, [("LME-ZN-3M", day, "2650")], LOADED + dt.timedelta(minutes=1))
    (row,) = compute(desk, "ZN-IMPORT").rows
    assert row.inputs["cif_premium"].source == "assumed"
    assert row.inputs["cif_premium"].value == Decimal(120)
    assert row.inputs["spot_premium"].value == 0
    expected = Decimal(22300) - (
        (Decimal(2650) + 120) * Decimal("1.13") * Decimal("1.01") * Decimal("7.1") + 200
    )
    assert row.profit == expected.quantize(CENT, ROUND_HALF_UP)


def test_an_input_quoted_in_the_wrong_unit_is_refused(silver: Desk, tmp_path: Path) -> None:
    load(silver.db, tmp_path, [("LME-CU-3M", D1, "10650")], LOADED)
    data = windows.get_definition("AG-EXPORT")
    assert data is not None
    wrong = data.model_copy(
        update={"inputs": {**data.inputs, "london": windows.InputSpec(instrument="LME-CU-3M")}}
    )
    with silver.db.transaction() as session, pytest.raises(windows.WindowError, match="USD/oz"):
        windows.compute(session, wrong, as_of=AS_OF)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inputs": {"london": {"instrument": "LBMA-AG"}}}, "takes exactly"),
        ({"inputs": {"london": {"instrument": "X1"}, "shanghai": {"assumed": True}}}, "domestic"),
        ({"unit": "mt"}, "yuan/kg"),
        (
            {
                "inputs": {
                    "london": {"instrument": "LBMA-AG", "series": "AG-1"},
                    "shanghai": {"series": "AG-2"},
                }
            },
            "exactly one",
        ),
    ],
)
def test_bad_window_definitions_are_refused(change: dict[str, object], message: str) -> None:
    data = windows.get_definition("AG-EXPORT")
    assert data is not None
    raw = {**data.model_dump(mode="json"), **change}
    with pytest.raises(ValidationError, match=message):
        windows.WindowDefinition.model_validate(raw)


def test_parameter_sets_must_differ_in_date_and_state_assumed_inputs() -> None:
    data = windows.get_definition("ZN-IMPORT")
    assert data is not None
    raw = data.model_dump(mode="json")
    twice = {**raw, "parameters": raw["parameters"] * 2}
    with pytest.raises(ValidationError, match="same day"):
        windows.WindowDefinition.model_validate(twice)
    first = dict(raw["parameters"][0], assumed_inputs={"cif_premium": "120"})
    with pytest.raises(ValidationError, match="assumed_inputs"):
        windows.WindowDefinition.model_validate({**raw, "parameters": [first]})
    vat = dict(raw["parameters"][0], vat="13")
    with pytest.raises(ValidationError, match="fraction"):
        windows.WindowDefinition.model_validate({**raw, "parameters": [vat]})


def test_the_packaged_windows_load() -> None:
    codes = [w.code for w in windows.definitions()]
    assert codes == ["AG-EXPORT", "AG-IMPORT", "CU-IMPORT", "ZN-IMPORT", "NI-IMPORT"]
    zinc = windows.get_definition("ZN-IMPORT")
    nickel = windows.get_definition("NI-IMPORT")
    assert zinc and nickel
    assert zinc.parameters[0].import_duty == Decimal("0.01")
    assert nickel.parameters[0].import_duty == Decimal("0.02")
