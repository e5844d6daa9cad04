"""Arbitrage calculations, checked against arithmetic done by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from metalwire.markets.arbitrage import (
    DEFAULT_DUTIES,
    ArbitrageParameters,
    NoParameters,
    Window,
    base_metal_import,
    base_metal_parameters,
    parameters_on,
    silver_export,
    silver_import,
    windows,
)

D = Decimal
SINCE = date(2024, 1, 1)

SILVER = ArbitrageParameters(
    vat=D("0.13"),
    import_duty=D(0),
    port_costs=D(0),
    other_costs=D(20),  # yuan/kg: freight, insurance, financing
    fx_source="Bank of China selling rate",
    effective_from=SINCE,
)


# --- silver ----------------------------------------------------------------------------------


def test_silver_export_with_a_vat_inclusive_shanghai_quote() -> None:
    result = silver_export(D(30), D("7.1"), D(7500), True, SILVER)
    # London: 30 USD/oz × 32.1507466 oz/kg = 964.522398 USD/kg × 7.1 = 6,848.1090258 yuan/kg
    assert result.london_yuan_kg == D("6848.11")
    # Shanghai ex-VAT: 7,500 / 1.13 = 6,637.16814159...
    assert result.shanghai_ex_vat == D("6637.17")
    assert result.costs == D("20.00")
    # Profit: 6,848.1090258 − 6,637.1681416 − 20 = 190.9408842 -> 190.94
    assert result.profit == D("190.94")
    assert result.open


def test_silver_export_with_a_vat_exclusive_shanghai_quote() -> None:
    result = silver_export(D(30), D("7.1"), D(6700), False, SILVER)
    # No VAT to take out: 6,848.1090258 − 6,700 − 20 = 128.1090258 -> 128.11
    assert result.shanghai_ex_vat == D("6700.00")
    assert result.profit == D("128.11")
    assert result.open
    # The same number read as VAT-inclusive is cheaper metal ex-VAT (5,929.20), a wider profit.
    inclusive = silver_export(D(30), D("7.1"), D(6700), True, SILVER)
    assert inclusive.shanghai_ex_vat == D("5929.20")
    assert inclusive.profit > result.profit


def test_silver_export_closed() -> None:
    # 6,848.1090258 − 7,000 − 20 = −171.8909742 -> −171.89: Shanghai is dearer than London.
    result = silver_export(D(30), D("7.1"), D(7000), False, SILVER)
    assert result.profit == D("-171.89")
    assert not result.open


def test_silver_import_with_both_kinds_of_quote() -> None:
    inclusive = silver_import(D(30), D("7.1"), D(8000), True, SILVER)
    # Import cost: 6,848.1090258 × 1.13 (VAT) × 1 (no duty) + 20 = 7,738.36319915 + 20
    #            = 7,758.36319915
    assert inclusive.london_yuan_kg == D("6848.11")
    assert inclusive.import_cost == D("7758.36")
    # Domestic is already VAT-inclusive: 8,000 − 7,758.36319915 = 241.63680085 -> 241.64
    assert inclusive.domestic == D("8000.00")
    assert inclusive.profit == D("241.64")
    assert inclusive.open

    exclusive = silver_import(D(30), D("7.1"), D(7000), False, SILVER)
    # Domestic grossed up: 7,000 × 1.13 = 7,910; 7,910 − 7,758.36319915 = 151.63680085
    assert exclusive.domestic == D("7910.00")
    assert exclusive.profit == D("151.64")


def test_silver_import_duty_and_port_costs() -> None:
    with_duty = replace(SILVER, import_duty=D("0.03"), port_costs=D(500))
    result = silver_import(D(30), D("7.1"), D(8000), True, with_duty)
    # Costs: 20 yuan/kg + 500 yuan/mt ÷ 1,000 = 20.5 yuan/kg
    assert result.costs == D("20.50")
    # Import cost: 7,738.36319915 × 1.03 + 20.5 = 7,970.51409512 + 20.5 = 7,991.01409512
    assert result.import_cost == D("7991.01")
    # 8,000 − 7,991.01409512 = 8.98590488 -> 8.99
    assert result.profit == D("8.99")


def test_a_profit_shown_as_zero_is_closed() -> None:
    # London 6,848.1090258: a VAT-exclusive Shanghai at 6,828.11 leaves 6,848.1090258 −
    # 6,828.11 − 20 = −0.0009742, shown as 0.00 with half-up rounding to 2 decimals.
    result = silver_export(D(30), D("7.1"), D("6828.11"), False, SILVER)
    assert str(result.profit) == "0.00"  # never "-0.00"
    assert not result.open
    # To whole yuan (SHFE silver is quoted in yuan/kg), 6,828 leaves 0.109...: still shown 0.
    whole = silver_export(D(30), D("7.1"), D(6828), False, SILVER, decimals=0)
    assert whole.profit == D(0)
    assert not whole.open


# --- base metals -----------------------------------------------------------------------------


def test_copper_import_by_the_published_formula() -> None:
    params = base_metal_parameters("copper", SINCE)
    assert (params.vat, params.import_duty, params.port_costs) == (D("0.13"), D(0), D(200))
    result = base_metal_import(D(70000), D(100), D(8500), D(80), D("7.2"), params)
    # Domestic: 70,000 + 100 = 70,100
    assert result.domestic == D("70100.00")
    # Landed: 8,500 + 80 = 8,580 USD/mt; × 1.13 = 9,695.4; × 1 (no duty); × 7.2 = 69,806.88;
    # + 200 port charges = 70,006.88
    assert result.landed_usd_mt == D("8580.00")
    assert result.import_cost == D("70006.88")
    # Profit: 70,100 − 70,006.88 = 93.12
    assert result.profit == D("93.12")
    assert result.open


def test_zinc_pays_one_percent_duty() -> None:
    params = base_metal_parameters("zinc", SINCE)
    assert params.import_duty == D("0.01") == DEFAULT_DUTIES["zinc"]
    result = base_metal_import(D(22000), D(50), D(2700), D(120), D("7.2"), params)
    # 2,820 × 1.13 = 3,186.6; × 1.01 = 3,218.466; × 7.2 = 23,172.9552; + 200 = 23,372.9552
    assert result.import_cost == D("23372.96")
    # 22,050 − 23,372.9552 = −1,322.9552 -> −1,322.96: closed
    assert result.profit == D("-1322.96")
    assert not result.open


def test_nickel_pays_two_percent_duty() -> None:
    params = base_metal_parameters("nickel", SINCE)
    assert params.import_duty == D("0.02")
    result = base_metal_import(D(130000), D(0), D(16000), D(50), D("7.2"), params)
    # 16,050 × 1.13 = 18,136.5; × 1.02 = 18,499.23; × 7.2 = 133,194.456; + 200 = 133,394.456
    assert result.import_cost == D("133394.46")
    # 130,000 − 133,394.456 = −3,394.456 -> −3,394.46
    assert result.profit == D("-3394.46")
    # Duty-free it would be 18,136.5 × 7.2 + 200 = 130,782.8: the 2% duty costs 2,611.656.
    free = base_metal_import(
        D(130000), D(0), D(16000), D(50), D("7.2"), replace(params, import_duty=D(0))
    )
    assert free.profit == D("-782.80")


def test_aluminium_is_duty_free_and_a_discount_lowers_the_domestic_price() -> None:
    params = base_metal_parameters("aluminium", SINCE)
    result = base_metal_import(D(19000), D(-30), D(2200), D(150), D("7.1"), params)
    # Domestic: 19,000 − 30 = 18,970. Import: 2,350 × 1.13 = 2,655.5; × 7.1 = 18,854.05;
    # + 200 = 19,054.05. Profit: 18,970 − 19,054.05 = −84.05
    assert result.domestic == D("18970.00")
    assert result.import_cost == D("19054.05")
    assert result.profit == D("-84.05")


def test_other_costs_add_to_the_import_cost() -> None:
    params = replace(base_metal_parameters("copper", SINCE), other_costs=D(50))
    result = base_metal_import(D(70000), D(100), D(8500), D(80), D("7.2"), params)
    # 70,006.88 + 50 = 70,056.88; profit 43.12
    assert result.profit == D("43.12")


def test_to_dict_is_json_safe_and_complete() -> None:
    result = base_metal_import(
        D(70000), D(100), D(8500), D(80), D("7.2"), base_metal_parameters("copper", SINCE)
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["profit"] == "93.12"
    assert data["open"] is True
    assert data["shfe_front"] == "70000"
    assert data["parameters"] == {
        "vat": "0.13",
        "import_duty": "0",
        "port_costs": "200",
        "other_costs": "0",
        "fx_source": "Bank of China selling rate, about 15:00 Shanghai",
        "effective_from": "2024-01-01",
    }
    silver = json.loads(json.dumps(silver_export(D(30), D("7.1"), D(7500), True, SILVER).to_dict()))
    assert silver["shanghai_vat_inclusive"] is True
    assert silver["london_yuan_kg"] == "6848.11"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vat": D(13)}, r"vat is a fraction from 0 to below 1 \(0.13 for 13%\), not 13"),
        ({"import_duty": D("-0.01")}, "import_duty is a fraction from 0 to below 1"),
        ({"port_costs": D(-1)}, "port_costs must be >= 0"),
        ({"fx_source": " "}, "fx_source must name"),
    ],
)
def test_bad_parameters_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(SILVER, **change)


def test_prices_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cny_per_usd must be positive"):
        silver_export(D(30), D(0), D(7500), True, SILVER)
    with pytest.raises(ValueError, match="lme_3m_usd_mt must be positive"):
        base_metal_import(
            D(70000), D(0), D(-1), D(0), D("7.2"), base_metal_parameters("copper", SINCE)
        )
    with pytest.raises(KeyError, match="no default duty for 'tin'"):
        base_metal_parameters("tin", SINCE)


# --- parameters over time --------------------------------------------------------------------


CHANGE = date(2025, 7, 1)
HISTORY = [
    base_metal_parameters("copper", SINCE),
    replace(base_metal_parameters("copper", CHANGE), port_costs=D(260)),
]


def test_parameters_on_picks_the_set_in_effect() -> None:
    assert parameters_on(HISTORY, date(2024, 1, 1)).port_costs == D(200)
    assert parameters_on(HISTORY, date(2025, 6, 30)).port_costs == D(200)
    assert parameters_on(HISTORY, CHANGE).port_costs == D(260)
    assert parameters_on(list(reversed(HISTORY)), date(2026, 1, 1)).port_costs == D(260)
    with pytest.raises(NoParameters, match="no arbitrage parameters in effect on 2023-12-31"):
        parameters_on(HISTORY, date(2023, 12, 31))
    with pytest.raises(ValueError, match="two parameter sets take effect on 2024-01-01"):
        parameters_on([*HISTORY, HISTORY[0]], date(2025, 1, 1))


def test_a_parameter_change_does_not_rewrite_history() -> None:
    days = [CHANGE + timedelta(days=offset) for offset in range(-3, 3)]

    def history_of(parameter_history: list[ArbitrageParameters]) -> list[Decimal]:
        return [
            base_metal_import(
                D(70000),
                D(100),
                D(8500),
                D(80),
                D("7.2"),
                parameters_on(parameter_history, day),
            ).profit
            for day in days
        ]

    before_the_change = history_of(HISTORY[:1])
    after_the_change = history_of(HISTORY)
    # The three days before 2025-07-01 are computed exactly as they were before the new set
    # was added; from 2025-07-01 port charges are 260: 93.12 − 60 = 33.12.
    assert after_the_change[:3] == before_the_change[:3] == [D("93.12")] * 3
    assert after_the_change[3:] == [D("33.12")] * 3


# --- windows ---------------------------------------------------------------------------------


def day(n: int) -> date:
    return date(2025, 3, 1) + timedelta(days=n)


def test_windows_open_and_close() -> None:
    series = [
        (day(0), D(-5)),
        (day(1), D(10)),  # opens
        (day(2), D(30)),  # peak
        (day(3), D(12)),
        (day(6), D(0)),  # a profit of exactly zero closes it
        (day(7), D(-2)),
        (day(8), D(4)),  # opens again, still open at the end
        (day(9), D(4)),
    ]
    assert windows(series) == [
        Window(opened=day(1), closed=day(6), days=3, peak_profit=D(30), peak_on=day(2)),
        Window(opened=day(8), closed=None, days=2, peak_profit=D(4), peak_on=day(8)),
    ]


def test_windows_from_unsorted_profits() -> None:
    series = [(day(2), D(-1)), (day(0), D(5)), (day(1), D(7))]
    assert windows(series) == [
        Window(opened=day(0), closed=day(2), days=2, peak_profit=D(7), peak_on=day(1))
    ]


def test_no_window() -> None:
    assert windows([]) == []
    assert windows([(day(0), D(-1)), (day(1), D(0))]) == []


def test_two_profits_on_one_day_are_refused() -> None:
    with pytest.raises(ValueError, match="two profits on 2025-03-01"):
        windows([(day(0), D(1)), (day(0), D(2))])


def test_windows_from_computed_results() -> None:
    params = base_metal_parameters("copper", SINCE)
    shfe = [D(69900), D(70100), D(70300), D(69800)]
    profits = [
        (day(n), base_metal_import(price, D(100), D(8500), D(80), D("7.2"), params).profit)
        for n, price in enumerate(shfe)
    ]
    # Domestic 70,000, 70,200, 70,400, 69,900 against an import cost of 70,006.88:
    # profits −6.88, 193.12, 393.12, −106.88
    (window,) = windows(profits)
    assert window.to_dict() == {
        "opened": "2025-03-02",
        "closed": "2025-03-04",
        "days": 2,
        "peak_profit": "393.12",
        "peak_on": "2025-03-03",
    }
