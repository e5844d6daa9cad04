"""Survey statistics, read as the methodology they implement (METHODS.md, "Production surveys").

Every expected figure is worked by hand in the comments; volumes in tonnes.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalwire.supply.stats import (
    GroupLine,
    Respondent,
    Return,
    SurveyStats,
    compute,
    compute_all,
    history,
)

Number = Decimal | int | str


def smelter(
    id: str,
    province: str = "henan",
    producer_type: str = "lead",
    capacity: Number = 1200,
    *,
    active_from: date | None = None,
    active_to: date | None = None,
) -> Respondent:
    return Respondent(
        id=id,
        name=f"{id} smelter",
        province=province,
        producer_type=producer_type,
        capacity=Decimal(capacity),
        active_from=active_from,
        active_to=active_to,
    )


def ret(
    id: str,
    period: str,
    production: Number,
    *,
    inventory: Number | None = None,
    forecast: Number | None = None,
    reasons: tuple[str, ...] = (),
) -> Return:
    return Return(
        respondent=id,
        period=period,
        production=Decimal(production),
        inventory=None if inventory is None else Decimal(inventory),
        forecast_next=None if forecast is None else Decimal(forecast),
        reasons=reasons,
    )


def d(text: str) -> Decimal:
    return Decimal(text)


# A three-smelter panel, September -> October 2025.
PANEL = [
    smelter("HN-1", "henan", "lead", 3600),
    smelter("YN-1", "yunnan", "copper", 2400),
    smelter("SD-1", "shandong", "primary", 1200),
]
SEPTEMBER = [
    ret("HN-1", "2025-09", 300, inventory=40, forecast=290),
    ret("YN-1", "2025-09", 200, inventory=30, forecast=200),
    ret("SD-1", "2025-09", 100, inventory=20),
]
OCTOBER = [
    ret("HN-1", "2025-10", 290, inventory=20, forecast=280, reasons=("maintenance",)),
    ret("YN-1", "2025-10", 180, inventory=15, forecast=150, reasons=("maintenance",)),
    ret("SD-1", "2025-10", 100, inventory=10, forecast=100),
]


# --- month on month, on the matched sample --------------------------------------------------


def test_three_smelters_change_month_on_month_on_the_matched_sample() -> None:
    stats = compute("2025-10", PANEL, SEPTEMBER + OCTOBER)
    # 290 + 180 + 100 = 570 against 300 + 200 + 100 = 600: -30 t, -30 / 600 = -5.00 %
    assert stats.production == d("570.00")
    assert (stats.mom_abs, stats.mom_pct) == (d("-30.00"), d("-5.00"))
    assert stats.matched_count == stats.respondents_reporting == 3
    assert stats.reported == ("HN-1", "SD-1", "YN-1")
    assert stats.imputed == () and stats.new_respondents == () and stats.dropped_respondents == ()


def test_a_new_respondent_is_a_panel_addition_not_a_market_change() -> None:
    panel = [*PANEL, smelter("ZJ-1", "zhejiang", "recycler", active_from=date(2025, 10, 1))]
    stats = compute("2025-10", panel, [*SEPTEMBER, *OCTOBER, ret("ZJ-1", "2025-10", 50)])
    # Output includes the newcomer (570 + 50), the change does not: still -30 t, -5.00 %.
    assert stats.production == d("620.00")
    assert (stats.mom_abs, stats.mom_pct) == (d("-30.00"), d("-5.00"))
    assert [line.to_dict() for line in stats.new_respondents] == [
        {"respondent": "ZJ-1", "volume": "50.00"}
    ]
    assert stats.matched_count == 3 and stats.respondents_reporting == 4


def test_a_dropped_respondent_is_listed_with_last_months_volume() -> None:
    panel = [*PANEL[:2], smelter("SD-1", "shandong", "primary", active_to=date(2025, 9, 30))]
    stats = compute("2025-10", panel, SEPTEMBER + OCTOBER[:2])
    # SD-1 closed at the end of September: not imputed, not missing, listed as dropped.
    # Matched: 290 + 180 = 470 against 300 + 200 = 500: -30 t, -6.00 %.
    assert stats.production == d("470.00")
    assert (stats.mom_abs, stats.mom_pct) == (d("-30.00"), d("-6.00"))
    assert [line.to_dict() for line in stats.dropped_respondents] == [
        {"respondent": "SD-1", "previous_volume": "100.00"}
    ]
    assert stats.imputed == () and stats.missing == ()


# --- non-response ----------------------------------------------------------------------------


def test_a_missing_return_is_imputed_with_the_ratio_of_means_of_its_class() -> None:
    panel = [
        smelter("A", producer_type="lead"),
        smelter("B", producer_type="lead"),
        smelter("C", producer_type="lead"),
        smelter("D", "yunnan", producer_type="copper"),
    ]
    returns = [
        ret("A", "2025-09", 300),
        ret("B", "2025-09", 200),
        ret("C", "2025-09", 100),
        ret("D", "2025-09", 400),
        ret("A", "2025-10", 270),
        ret("B", "2025-10", 190),
        ret("D", "2025-10", 440),  # copper: not in the lead link
    ]
    stats = compute("2025-10", panel, returns)
    # Lead link = (270 + 190) / (300 + 200) = 0.92; C = 100 x 0.92 = 92
    [imputed] = stats.imputed
    assert imputed.to_dict() == {
        "respondent": "C",
        "volume": "92.00",
        "link": "0.920000",
        "class": "lead",
    }
    # Total = 270 + 190 + 92 + 440 = 992; imputed share 92 / 992 = 9.274 %
    assert stats.production == d("992.00")
    assert (stats.imputed_count, stats.imputed_volume) == (1, d("92.00"))
    assert stats.imputed_share == d("9.27")
    # The imputed value is matched: 992 against 1000, -8 t, -0.80 %
    assert (stats.mom_abs, stats.mom_pct) == (d("-8.00"), d("-0.80"))
    assert stats.respondents_reporting == 3 and stats.matched_count == 4


def test_a_class_without_matched_respondents_takes_the_whole_sample_link() -> None:
    panel = [smelter("A", producer_type="lead"), smelter("D", producer_type="copper")]
    panel.append(smelter("E", "gansu", producer_type="zinc"))
    returns = [
        ret("A", "2025-09", 300),
        ret("D", "2025-09", 400),
        ret("E", "2025-09", 70),
        ret("A", "2025-10", 270),
        ret("D", "2025-10", 440),
    ]
    # No zinc smelter returned in both months: link = (270 + 440) / (300 + 400) = 710 / 700
    # E = 70 x 710 / 700 = 71
    [imputed] = compute("2025-10", panel, returns).imputed
    assert (imputed.volume, imputed.link, imputed.imputation_class) == (
        d("71.00"),
        d("1.014286"),
        "all",
    )


def test_an_active_member_with_no_previous_value_cannot_be_imputed_and_is_missing() -> None:
    panel = [*PANEL, smelter("GX-1", "guangxi", "lead-zinc", active_from=date(2025, 9, 1))]
    stats = compute("2025-10", panel, SEPTEMBER + OCTOBER)
    assert stats.missing == ("GX-1",)
    assert stats.production == d("570.00")  # contributes nothing
    assert stats.imputed == () and stats.dropped_respondents == ()


def test_imputation_chains_over_consecutive_missing_months() -> None:
    panel = [smelter("A"), smelter("B")]
    returns = [
        ret("A", "2025-08", 100),
        ret("B", "2025-08", 50),
        ret("A", "2025-09", 110),  # link 1.1: B imputed 55
        ret("A", "2025-10", 121),  # link 1.1 again: B imputed 55 x 1.1 = 60.5
    ]
    stats = compute("2025-10", panel, returns)
    assert [(i.respondent, i.volume) for i in stats.imputed] == [("B", d("60.50"))]
    assert stats.production == d("181.50")
    # Matched on 110 + 55 = 165 -> 121 + 60.5 = 181.5: +10.00 %
    assert stats.mom_pct == d("10.00")


# --- breakdowns ------------------------------------------------------------------------------


def test_breakdown_by_province_and_producer_type_with_matched_changes() -> None:
    stats = compute("2025-10", PANEL, SEPTEMBER + OCTOBER)
    # Henan 290 of 570 = 50.88 %, -10 t of 300 = -3.33 %; Yunnan 180 = 31.58 %, -20 of 200
    assert [line.to_dict() for line in stats.by_province] == [
        {
            "name": "henan",
            "volume": "290.00",
            "share": "50.88",
            "change_abs": "-10.00",
            "change_pct": "-3.33",
        },
        {
            "name": "yunnan",
            "volume": "180.00",
            "share": "31.58",
            "change_abs": "-20.00",
            "change_pct": "-10.00",
        },
        {
            "name": "shandong",
            "volume": "100.00",
            "share": "17.54",
            "change_abs": "0.00",
            "change_pct": "0.00",
        },
    ]
    assert [line.name for line in stats.by_producer_type] == ["lead", "copper", "primary"]


def test_main_provinces_are_the_fewest_largest_reaching_60_percent() -> None:
    volumes = {
        "henan": 180,
        "yunnan": 160,
        "shandong": 140,
        "zhejiang": 120,
        "hunan": 110,
        "guangxi": 100,
    }
    panel = [smelter(name, name) for name in volumes]
    returns = [ret(name, "2025-10", volume) for name, volume in volumes.items()]
    # Total 810; 60 % is 486. Three provinces: 480 (59.26 %), not enough; four: 600 (74.07 %).
    stats = compute("2025-10", panel, returns)
    assert stats.main_provinces == ("henan", "yunnan", "shandong", "zhejiang")
    # At 50 % (405 t) three suffice.
    half = compute("2025-10", panel, returns, main_share=d("0.5"))
    assert half.main_provinces == ("henan", "yunnan", "shandong")


# --- reasons, inventory, forecast ------------------------------------------------------------


def test_reasons_are_attributed_the_changes_of_the_respondents_citing_them() -> None:
    panel = [smelter("A"), smelter("B"), smelter("C"), smelter("D"), smelter("N")]
    returns = [
        ret("A", "2025-09", 300),
        ret("B", "2025-09", 200),
        ret("C", "2025-09", 100),
        ret("D", "2025-09", 100),
        ret("A", "2025-10", 250, reasons=("maintenance",)),
        ret("B", "2025-10", 180, reasons=("maintenance", "inventory-count")),
        ret("C", "2025-10", 110, reasons=("high-profit",)),
        ret("D", "2025-10", 95),
        ret("N", "2025-10", 40, reasons=("new-capacity",)),  # new: no change to explain
    ]
    stats = compute("2025-10", panel, returns)
    # maintenance: A -50, B -20 = -70 (2); inventory-count: B -20 (1); high-profit: C +10 (1).
    # B counts under both of its codes, so the codes add to -80, not to the MoM change of -65.
    assert [line.to_dict() for line in stats.reasons] == [
        {"code": "maintenance", "volume": "-70.00", "respondents": 2},
        {"code": "inventory-count", "volume": "-20.00", "respondents": 1},
        {"code": "high-profit", "volume": "10.00", "respondents": 1},
    ]
    assert stats.mom_abs == d("-65.00")


def test_inventory_nearly_sold_out_down_half_on_the_matched_respondents() -> None:
    panel = [*PANEL, smelter("ZJ-1", "zhejiang", "recycler")]
    returns = [*SEPTEMBER, *OCTOBER, ret("ZJ-1", "2025-10", 30, inventory=5)]
    stats = compute("2025-10", panel, returns)
    # Reported stocks: 20 + 15 + 10 + 5 = 50 t. Matched (in both months): 45 against
    # 40 + 30 + 20 = 90, -45 t, -50.00 % ("a decrease of nearly 50 %").
    assert stats.inventory == d("50.00")
    assert (stats.inventory_change_abs, stats.inventory_change_pct) == (
        d("-45.00"),
        d("-50.00"),
    )


def test_forecast_cuts_in_guangxi_gansu_inner_mongolia_on_raw_material_grade() -> None:
    panel = [
        smelter("GX", "guangxi", "lead-zinc"),
        smelter("GS", "gansu", "lead-zinc"),
        smelter("NM", "inner-mongolia", "lead-zinc"),
        smelter("HN", "henan", "lead"),
        smelter("YN", "yunnan", "copper"),
    ]
    grade = ("raw-material-grade",)
    returns = [
        ret("GX", "2025-10", 100, forecast=80, reasons=grade),
        ret("GS", "2025-10", 60, forecast=50, reasons=grade),
        ret("NM", "2025-10", 50, forecast=45, reasons=(*grade, "maintenance")),
        ret("HN", "2025-10", 300, forecast=310, reasons=("high-profit",)),
        ret("YN", "2025-10", 200),  # no forecast: counted flat at 200
    ]
    stats = compute("2025-10", panel, returns)
    # Forecast 80 + 50 + 45 + 310 + 200 = 685 against 710: -25 t, -25 / 710 = -3.52 %
    assert stats.forecast_next == d("685.00")
    assert (stats.forecast_change_abs, stats.forecast_change_pct) == (d("-25.00"), d("-3.52"))
    cuts = [(m.kind, m.name, m.change, m.reasons) for m in stats.forecast_movers.cuts]
    assert cuts == [
        ("producer_type", "lead-zinc", d("-35.00"), ("raw-material-grade", "maintenance")),
        ("province", "guangxi", d("-20.00"), grade),
        ("province", "gansu", d("-10.00"), grade),
        ("province", "inner-mongolia", d("-5.00"), ("maintenance", "raw-material-grade")),
    ]
    # Inner Mongolia's 5 t weigh on both its codes alike; at equal weight codes go by name.
    increases = [(m.kind, m.name, m.change, m.reasons) for m in stats.forecast_movers.increases]
    assert increases == [
        ("province", "henan", d("10.00"), ("high-profit",)),
        ("producer_type", "lead", d("10.00"), ("high-profit",)),
    ]


def test_forecast_variance_against_last_months_published_forecast() -> None:
    stats = compute("2025-10", PANEL, SEPTEMBER + OCTOBER)
    # September's forecast: 290 + 200 + 100 (SD-1 gave none: flat) = 590.
    # October came in at 570: -20 t, -20 / 590 = -3.39 %.
    assert stats.previous_forecast == d("590.00")
    assert (stats.forecast_variance_abs, stats.forecast_variance_pct) == (
        d("-20.00"),
        d("-3.39"),
    )
    # Next: 280 + 150 + 100 = 530
    assert stats.forecast_next == d("530.00")


# --- year on year, year to date --------------------------------------------------------------


def _two_years() -> tuple[list[Respondent], list[Return]]:
    panel = [smelter("A"), smelter("B"), smelter("C", active_from=date(2025, 2, 1))]
    returns = []
    for month in ("01", "02", "03"):
        returns += [ret("A", f"2024-{month}", 100), ret("B", f"2024-{month}", 50)]
        returns += [ret("A", f"2025-{month}", 110), ret("B", f"2025-{month}", 55)]
        if month != "01":
            returns.append(ret("C", f"2025-{month}", 20))
    return panel, returns


def test_year_on_year_is_matched_and_year_to_date_is_plain_totals() -> None:
    panel, returns = _two_years()
    stats = compute("2025-03", panel, returns)
    # YoY on A and B (C is new since February): 165 against 150, +15 t, +10.00 %
    assert (stats.yoy_abs, stats.yoy_pct) == (d("15.00"), d("10.00"))
    # YTD 2025: 165 + 185 + 185 = 535 against 150 x 3 = 450: +85 / 450 = +18.89 %
    assert (stats.ytd, stats.ytd_change_pct) == (d("535.00"), d("18.89"))


def test_no_year_on_year_without_last_years_data() -> None:
    panel, returns = _two_years()
    this_year = [r for r in returns if r.period.startswith("2025")]
    stats = compute("2025-03", panel, this_year)
    assert (stats.yoy_abs, stats.yoy_pct, stats.ytd_change_pct) == (None, None, None)
    assert stats.ytd == d("535.00")
    # A month of last year without data makes the YTD comparison incomplete: not published.
    gap = [r for r in returns if r.period != "2024-02"]
    assert compute("2025-03", panel, gap).ytd_change_pct is None


# --- capacity and operating rate -------------------------------------------------------------


def test_operating_rate_over_a_31_day_month_and_coverage() -> None:
    panel = [smelter("A", capacity=3650), smelter("B", "yunnan", "copper", capacity=1825)]
    returns = [ret("A", "2025-10", 280), ret("B", "2025-10", 124)]
    stats = compute("2025-10", panel, returns, national_capacity=d("10950"))
    # October: A can make 3650 x 31 / 365 = 310 t, made 280 = 90.32 %;
    # B 1825 x 31 / 365 = 155 t, made 124 = 80.00 %; panel 404 / 465 = 86.88 %.
    assert stats.days == 31
    assert stats.operating_rate == d("86.88")
    assert [(r.producer_type, r.operating_rate) for r in stats.operating_rate_by_producer_type] == [
        ("copper", d("80.00")),
        ("lead", d("90.32")),
    ]
    # Capacity 5475 t/yr of a national 10950: coverage 50.00 %
    assert (stats.capacity, stats.coverage) == (d("5475.00"), d("50.00"))
    # February: 3650 x 28 / 365 = 280 t, so the same 280 t is 100.00 %.
    february = compute("2025-02", panel[:1], [ret("A", "2025-02", 280)])
    assert (february.days, february.operating_rate) == (28, d("100.00"))


def test_capacity_counts_only_members_active_in_the_month() -> None:
    panel = [smelter("A", capacity=1200), smelter("B", capacity=600, active_to=date(2025, 9, 30))]
    stats = compute("2025-10", panel, [ret("A", "2025-10", 100)])
    assert stats.capacity == d("1200.00")
    assert stats.coverage is None  # no national capacity given


# --- rounding --------------------------------------------------------------------------------


def test_published_figures_are_rounded_half_up_once_at_the_end() -> None:
    panel = [smelter("A"), smelter("B", "yunnan")]
    returns = [ret("A", "2025-10", "1000.004"), ret("B", "2025-10", "2.341")]
    stats = compute("2025-10", panel, returns)
    # 1002.345 -> 1002.35 half-up (banker's rounding would give 1002.34; rounding the parts
    # first, 1000.00 + 2.34, would give 1002.34 too).
    assert stats.production == d("1002.35")
    assert [line.volume for line in stats.by_province] == [d("1000.00"), d("2.34")]
    three = compute("2025-10", panel, returns, decimals=3)
    assert three.production == d("1002.345")


# --- the reference report ---------------------------------------------------------------------


def _october_2025() -> tuple[list[Respondent], list[Return]]:
    """A panel behind SMM's October 2025 silver report: copper smelters' maintenance and an
    inventory count cut output; lead smelters hold up; lead-zinc smelters in Guangxi, Gansu
    and Inner Mongolia expect cuts for raw material grade; stocks nearly sold out."""
    Row = tuple[str, str, str, Number, Number, Number, Number, Number | None, tuple[str, ...]]
    rows: list[Row] = [
        # id, province, type, Sep, Oct, stocks Sep, stocks Oct, Oct forecast, Oct reasons
        ("HN-L", "henan", "lead", 260, 258, 12, 6, None, ("maintenance",)),
        ("HN-C", "henan", "copper", 120, 100, 10, 5, None, ("maintenance",)),
        ("YN-L", "yunnan", "lead", 170, 169, 8, 4, None, ()),
        ("YN-C", "yunnan", "copper", 100, 80, 6, 3, None, ("maintenance",)),
        ("SD-C", "shandong", "copper", 150, 140, 8, 4, None, ("inventory-count",)),
        ("ZJ-R", "zhejiang", "recycler", 140, "138.3", 6, 3, None, ()),
        ("HUN-L", "hunan", "lead", 130, 132, 4, 2, None, ("high-profit",)),
        ("GX-LZ", "guangxi", "lead-zinc", 120, 120, 2, "1.5", 100, ("raw-material-grade",)),
        ("GS-LZ", "gansu", "lead-zinc", 110, 111, 2, 1, 95, ("raw-material-grade",)),
        ("NM-LZ", "inner-mongolia", "lead-zinc", 100, 102, 2, 1, 90, ("raw-material-grade",)),
    ]
    panel = [smelter(row[0], row[1], row[2]) for row in rows]
    returns = []
    for rid, _, _, sep, oct_, stock_sep, stock_oct, forecast, reasons in rows:
        returns.append(ret(rid, "2025-09", sep, inventory=stock_sep))
        returns.append(
            ret(rid, "2025-10", oct_, inventory=stock_oct, forecast=forecast, reasons=reasons)
        )
    return panel, returns


def test_the_reference_report_headline_output_down_3_55_percent() -> None:
    panel, returns = _october_2025()
    stats = compute("2025-10", panel, returns)
    # September 1400 t; October 1350.3 t: -49.7 t, -49.7 / 1400 = -3.55 %
    assert stats.to_dict()["mom_pct"] == "-3.55"
    assert (stats.production, stats.mom_abs) == (d("1350.30"), d("-49.70"))
    # Henan 358, Yunnan 249, Shandong 140 = 747 (55.32 %); with Zhejiang 885.3 (65.56 %)
    assert stats.main_provinces == ("henan", "yunnan", "shandong", "zhejiang")
    # Copper smelters' maintenance and an inventory count explain the fall; lead holds up.
    by_type = {line.name: line for line in stats.by_producer_type}
    assert (by_type["copper"].change_abs, by_type["copper"].change_pct) == (
        d("-50.00"),
        d("-13.51"),
    )
    assert by_type["lead"].change_pct == d("-0.18")  # 560 -> 559
    assert [(r.code, r.volume, r.respondents) for r in stats.reasons][:2] == [
        ("maintenance", d("-42.00"), 3),
        ("inventory-count", d("-10.00"), 1),
    ]
    # Stocks 60 -> 30.5: -49.17 %, "a decrease of nearly 50 %"
    assert (stats.inventory, stats.inventory_change_pct) == (d("30.50"), d("-49.17"))
    # November: lead-zinc smelters in Guangxi, Gansu and Inner Mongolia cut on raw material grade
    provinces = [m for m in stats.forecast_movers.cuts if m.kind == "province"]
    assert [m.name for m in provinces] == ["guangxi", "gansu", "inner-mongolia"]
    assert {m.reasons for m in provinces} == {("raw-material-grade",)}
    # 20 + 16 + 12 = 48 t less: 1302.3 t
    assert stats.forecast_next == d("1302.30")


# --- the published shape ---------------------------------------------------------------------

PUBLISHED_KEYS = (
    "period", "production", "mom_abs", "mom_pct", "yoy_abs", "yoy_pct", "ytd", "ytd_change_pct",
    "main_provinces", "by_province", "by_producer_type", "operating_rate", "capacity", "coverage",
    "inventory", "inventory_change_abs", "inventory_change_pct", "forecast_next",
    "forecast_change_abs", "forecast_change_pct", "forecast_movers", "reasons",
    "forecast_variance_abs", "forecast_variance_pct", "imputed", "imputed_count",
    "imputed_share", "new_respondents", "dropped_respondents", "missing",
    "respondents_reporting", "matched_count",
)  # fmt: skip


def test_to_dict_is_json_safe_with_the_published_keys() -> None:
    panel, returns = _october_2025()
    data = compute("2025-10", panel, returns, national_capacity=d("24000")).to_dict()
    assert set(PUBLISHED_KEYS) <= set(data)
    assert json.loads(json.dumps(data)) == data  # strings, numbers, lists, dicts, None only
    assert data["production"] == "1350.30" and data["yoy_pct"] is None
    assert data["main_provinces"] == ["henan", "yunnan", "shandong", "zhejiang"]
    assert set(data["forecast_movers"]) == {"cuts", "increases"}
    assert set(data["by_province"][0]) == {"name", "volume", "share", "change_abs", "change_pct"}


def test_a_period_without_any_data_publishes_no_figures() -> None:
    stats = compute("2025-11", PANEL, SEPTEMBER + OCTOBER)
    # Nobody returned in November and October -> November: no link, so nobody is imputed.
    assert stats.production is None and stats.mom_pct is None and stats.forecast_next is None
    assert stats.missing == ("HN-1", "SD-1", "YN-1")
    assert stats.dropped_respondents == ()  # still in the panel: missing, not dropped


def test_returns_after_the_period_are_not_read() -> None:
    later = [ret("HN-1", "2025-11", 1), ret("NOBODY", "2025-12", 1)]
    assert compute("2025-10", PANEL, SEPTEMBER + OCTOBER + later).production == d("570.00")


@pytest.mark.parametrize(
    ("returns", "message"),
    [
        ([ret("HN-1", "2025-10", 1), ret("HN-1", "2025-10", 2)], "more than one return for HN-1"),
        ([ret("XX-9", "2025-10", 1)], "not in the panel: XX-9"),
        ([ret("HN-1", "2025-13", 1)], "YYYY-MM"),
    ],
)
def test_inconsistent_returns_are_refused(returns: list[Return], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute("2025-10", PANEL, returns)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ret("A", "2025-10", -1)
    with pytest.raises(ValueError, match="main_share"):
        compute("2025-10", PANEL, OCTOBER, main_share=d("1.5"))
    with pytest.raises(ValueError, match="twice"):
        compute("2025-10", [*PANEL, PANEL[0]], OCTOBER)
    # A reason cited twice counts once.
    assert ret("A", "2025-10", 1, reasons=("maintenance", "maintenance")).reasons == (
        "maintenance",
    )


# --- many periods at once --------------------------------------------------------------------


def test_compute_all_and_history_agree_with_compute_period_by_period() -> None:
    panel, returns = _two_years()
    periods = ["2024-02", "2024-03", "2025-02", "2025-03"]
    together = compute_all(periods, panel, returns)
    assert together == [compute(period, panel, returns) for period in periods]
    series = history(periods, panel, returns)
    assert series == [
        {
            "period": stats.period,
            "production": str(stats.production),
            "mom_abs": str(stats.mom_abs),
            "mom_pct": str(stats.mom_pct),
            "imputed_count": stats.imputed_count,
        }
        for stats in together
    ]
    # 2025-02: C joins (new), A and B 165 -> 165: 0.00 %
    assert series[2]["production"] == "185.00" and series[2]["mom_pct"] == "0.00"


# --- properties ------------------------------------------------------------------------------

PROVINCES = ("henan", "yunnan", "shandong")
TYPES = ("lead", "copper")
tonnes = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def surveys(draw: st.DrawFn) -> tuple[list[Respondent], list[Return]]:
    size = draw(st.integers(min_value=1, max_value=8))
    panel = [
        smelter(f"R{n}", draw(st.sampled_from(PROVINCES)), draw(st.sampled_from(TYPES)))
        for n in range(size)
    ]
    returns = []
    for member in panel:
        for period in ("2025-09", "2025-10"):
            if draw(st.booleans()) or draw(st.booleans()):  # three in four report
                returns.append(ret(member.id, period, draw(tonnes)))
    return panel, returns


def _published_sum(lines: tuple[GroupLine, ...]) -> Decimal:
    return sum((line.volume for line in lines), Decimal(0))


@settings(max_examples=200, deadline=None)
@given(surveys(), tonnes)
def test_breakdowns_add_up_and_a_newcomer_never_moves_the_change(
    survey: tuple[list[Respondent], list[Return]], newcomer_output: Decimal
) -> None:
    panel, returns = survey
    stats = compute("2025-10", panel, returns)
    if stats.production is not None:
        # Each published line is rounded once: the sum may miss the total by half a cent a line.
        for lines in (stats.by_province, stats.by_producer_type):
            tolerance = Decimal("0.005") * len(lines)
            assert abs(_published_sum(lines) - stats.production) <= tolerance
    joined = [*panel, smelter("NEW", "zhejiang", "lead", active_from=date(2025, 10, 1))]
    with_newcomer = compute("2025-10", joined, [*returns, ret("NEW", "2025-10", newcomer_output)])
    assert (with_newcomer.mom_abs, with_newcomer.mom_pct) == (stats.mom_abs, stats.mom_pct)
    assert [r.respondent for r in with_newcomer.new_respondents].count("NEW") == 1


def test_survey_stats_is_frozen() -> None:
    stats = compute("2025-10", PANEL, SEPTEMBER + OCTOBER)
    assert isinstance(stats, SurveyStats)
    with pytest.raises(AttributeError):
        stats.production = d("1")  # type: ignore[misc]
