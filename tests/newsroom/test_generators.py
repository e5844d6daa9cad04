"""Generated reports, checked as facts rather than as frozen text.

Each scenario is a hand-built statistics dict shaped like ``SurveyStats.to_dict()`` after
``supply.service.localize`` (decimals as strings). The tests read the draft the way an editor
would: is each figure in the text one of the statistics, with its provenance; does the wording
follow the data (a fall reads as a fall, a missing figure leaves no sentence); is every number
in the text backed by a fact.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from babel.dates import get_month_names

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators import (
    ArbitrageFacts,
    CorrectionFacts,
    Draft,
    Fact,
    PremiumFacts,
    PriceFacts,
    daily_price_report,
    production_report,
)

LANGS = ["en", "zh"]
SOURCE = "AG-INGOT-CN-OUTPUT/2025-10/v1"


# --- scenarios ----------------------------------------------------------------------------------


def province(code: str, en: str, zh: str, volume: str, share: str, change: str) -> dict[str, Any]:
    return {
        "name": code,
        "name_en": en,
        "name_zh": zh,
        "volume": volume,
        "share": share,
        "change_abs": change,
        "change_pct": None,
    }


def mover(kind: str, name: str, change: str, *reasons: str, **names: str) -> dict[str, Any]:
    return {"kind": kind, "name": name, "change": change, "reasons": list(reasons), **names}


# The reference month (/work/shared/reference-page.txt): output -3.55 % MoM, four main provinces,
# copper-smelter maintenance and stock-taking, cuts next month in Guangxi, Gansu and Inner
# Mongolia for raw-material grade, smelter stocks about halved on export orders.
FALLING: dict[str, Any] = {
    "period": "2025-10",
    "production": "1397.32",
    "mom_abs": "-51.43",
    "mom_pct": "-3.55",
    "yoy_abs": "28.10",
    "yoy_pct": "2.05",
    "main_provinces": ["Henan", "Yunnan", "Shandong", "Zhejiang"],
    "by_province": [
        province("henan", "Henan", "河南", "436.00", "31.20", "-5.00"),
        province("yunnan", "Yunnan", "云南", "210.00", "15.03", "-20.00"),
        province("shandong", "Shandong", "山东", "160.00", "11.45", "-10.00"),
        province("zhejiang", "Zhejiang", "浙江", "140.00", "10.02", "0.00"),
        province("guangxi", "Guangxi", "广西", "60.00", "4.29", "-3.00"),
    ],
    "by_producer_type": [
        {
            "name": "copper-smelter by-product",
            "volume": "400.00",
            "share": "28.63",
            "change_abs": "-38.20",
            "change_pct": "-8.72",
        },
        {
            "name": "lead-smelter by-product",
            "volume": "700.00",
            "share": "50.10",
            "change_abs": "-6.00",
            "change_pct": "-0.85",
        },
        {
            "name": "primary",
            "volume": "297.32",
            "share": "21.28",
            "change_abs": "-7.23",
            "change_pct": "-2.37",
        },
    ],
    "inventory": "121.50",
    "inventory_change_abs": "-119.60",
    "inventory_change_pct": "-49.60",
    "forecast_next": "1370.00",
    "forecast_change_abs": "-27.32",
    "forecast_change_pct": "-1.96",
    "forecast_movers": {
        "cuts": [
            mover(
                "province",
                "guangxi",
                "-12.00",
                "raw-material-grade",
                name_en="Guangxi",
                name_zh="广西",
            ),
            mover("producer_type", "lead-smelter by-product", "-25.00", "raw-material-grade"),
            mover(
                "province", "gansu", "-8.00", "raw-material-grade", name_en="Gansu", name_zh="甘肃"
            ),
            mover(
                "province",
                "inner-mongolia",
                "-7.32",
                "raw-material-grade",
                name_en="Inner Mongolia",
                name_zh="内蒙古",
            ),
        ],
        "increases": [],
    },
    "reasons": [
        {"code": "maintenance", "volume": "-40.10", "respondents": 3},
        {"code": "inventory-count", "volume": "-12.50", "respondents": 1},
        {"code": "high-profit", "volume": "6.00", "respondents": 2},
        {"code": "export-orders", "volume": "-1.00", "respondents": 4},
    ],
    "imputed_count": 2,
    "imputed_share": "2.03",
}

RISING: dict[str, Any] = {
    **copy.deepcopy(FALLING),
    "production": "1450.00",
    "mom_abs": "29.80",
    "mom_pct": "2.10",
    "yoy_pct": "5.30",
    "by_producer_type": [
        {
            "name": "primary",
            "volume": "320.00",
            "share": "22.07",
            "change_abs": "25.00",
            "change_pct": "8.47",
        },
        {
            "name": "lead-smelter by-product",
            "volume": "720.00",
            "share": "49.66",
            "change_abs": "4.80",
            "change_pct": "0.67",
        },
    ],
    "inventory": "260.00",
    "inventory_change_abs": "18.40",
    "inventory_change_pct": "7.62",
    "forecast_next": "1471.75",
    "forecast_change_abs": "21.75",
    "forecast_change_pct": "1.50",
    "forecast_movers": {
        "cuts": [],
        "increases": [
            mover(
                "province",
                "henan",
                "15.00",
                "production-resumption",
                name_en="Henan",
                name_zh="河南",
            ),
            mover("producer_type", "primary", "15.00", "production-resumption"),
        ],
    },
    "reasons": [
        {"code": "production-resumption", "volume": "20.00", "respondents": 2},
        {"code": "high-profit", "volume": "9.50", "respondents": 3},
        {"code": "maintenance", "volume": "-6.00", "respondents": 1},
    ],
    "imputed_count": 0,
    "imputed_share": "0.00",
}

FLAT: dict[str, Any] = {
    **copy.deepcopy(FALLING),
    "production": "1401.20",
    "mom_abs": "2.80",
    "mom_pct": "0.20",
    "yoy_pct": "0.10",
    "reasons": [
        {"code": "maintenance", "volume": "-20.00", "respondents": 2},
        {"code": "production-resumption", "volume": "18.00", "respondents": 1},
    ],
    "inventory_change_abs": "-0.40",
    "inventory_change_pct": "-0.33",
    "inventory": "120.10",
    "forecast_change_pct": "0.10",
    "forecast_change_abs": "1.40",
    "forecast_next": "1402.60",
    "forecast_movers": {"cuts": [], "increases": []},
}

PREMIUM = PremiumFacts(
    series_code="AG-INGOT-CN-PREMIUM",
    unit_en="yuan/mt",
    unit_zh="元/吨",
    low_min=Decimal(30),
    high_max=Decimal(50),
    latest_low=Decimal(40),
    latest_high=Decimal(50),
    trend="up",
    days=5,
    series_ref="AG-INGOT-CN-PREMIUM/2025-10-27..2025-10-31",
    low_min_ref="assessment:101",
    high_max_ref="assessment:103",
    latest_ref="assessment:105",
)

EXPORT_OPEN = ArbitrageFacts(
    kind="export",
    profit=Decimal("850.00"),
    unit_en="yuan/kg",
    unit_zh="元/千克",
    open=True,
    opened_on=date(2025, 9, 26),
    trend="up",
    source_ref="arbitrage:AG-EXPORT/2025-10-31",
)


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    stats = copy.deepcopy(base)
    stats.update(changes)
    return stats


def report(
    stats: dict[str, Any],
    lang: str,
    *,
    premium: PremiumFacts | None = None,
    arbitrage: ArbitrageFacts | None = None,
    tagged: bool = False,
    figures_in_title: bool = True,
) -> Draft:
    return production_report(
        stats,
        survey_name_en="China silver ingot output",
        survey_name_zh="中国白银(银锭)产量",
        commodity_en="silver",
        commodity_zh="白银",
        product_en="silver ingot",
        product_zh="银锭",
        unit="mt",
        period="2025-10",
        lang=lang,
        source_ref=SOURCE,
        premium=premium,
        arbitrage=arbitrage,
        tag_figures=tagged,
        figures_in_title=figures_in_title,
    )


# --- reading a draft ----------------------------------------------------------------------------

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONTHS_EN = list(get_month_names("wide", locale="en_US").values())
_MONTHS = "|".join(_MONTHS_EN)
_DATE_EN = re.compile(
    rf"\b(?:{_MONTHS}|{'|'.join(m[:3] for m in _MONTHS_EN)})(?: \d{{1,2}},)? \d{{4}}"
)
_DATE_ZH = re.compile(r"(?:\d{4}年)?\d{1,2}月(?:\d{1,2}日)?")


def text_of(draft: Draft) -> str:
    return f"{draft.title}\n{draft.summary}\n{draft.body_markdown}"


def numbers(text: str) -> set[str]:
    return {token.replace(",", "") for token in _NUMBER.findall(text)}


def unbacked_numbers(draft: Draft, *, ignore: tuple[str, ...] = ()) -> set[str]:
    """Numbers in the title, summary and body that no fact's value holds (dates and the given
    identifiers, such as series names with digits, are not figures)."""
    text = text_of(draft)
    for name in ignore:
        text = text.replace(name, "")
    text = _DATE_ZH.sub("", _DATE_EN.sub("", text))
    backed: set[str] = set()
    for fact in draft.facts:
        backed |= numbers(fact.value)
    return numbers(text) - backed


def facts(draft: Draft) -> dict[str, Fact]:
    return {fact.key: fact for fact in draft.facts}


def figure(text: str) -> Decimal:
    """The first number in a fact's value."""
    match = _NUMBER.search(text)
    assert match, text
    return Decimal(match.group().replace(",", ""))


def stat_for(stats: dict[str, Any], key: str) -> Any:
    """The statistic a fact key names: 'mom_pct', 'reasons[maintenance].volume',
    'by_province[henan].share', 'by_producer_type[primary].change_abs'."""
    match = re.fullmatch(r"(\w+)\[([^\]]+)\]\.(\w+)", key)
    if not match:
        return stats.get(key)
    table, name, field = match.groups()
    field_of = "code" if table == "reasons" else "name"
    line = next(item for item in stats[table] if item[field_of] == name)
    return line.get(field)


def assert_facts_match(draft: Draft, stats: dict[str, Any]) -> None:
    """Every numeric survey fact quotes its statistic (size; the text carries the sign in its
    words), rounded wording within the documented 2.5 points; every reference names the
    release and the key."""
    checked = 0
    for fact in draft.facts:
        if fact.source_kind != "survey-statistic":
            continue
        assert fact.source_ref == f"{SOURCE}#{fact.key}"
        value = stat_for(stats, fact.key)
        if value is None or not _NUMBER.search(fact.value) or fact.key == "main_provinces":
            continue
        quoted, actual = figure(fact.value), abs(Decimal(str(value)))
        if fact.value.startswith(("nearly", "approximately", "近", "约")):
            assert abs(quoted - actual) <= Decimal("2.5"), (fact, value)
        else:
            assert quoted == actual, (fact, value)
        checked += 1
    assert checked >= 3


def assert_reading_order(draft: Draft) -> None:
    """The facts appear in the text in the order listed (first number, or the words)."""
    text = text_of(draft).lower()
    position = 0
    for fact in draft.facts:
        match = _NUMBER.search(fact.value)
        needle = (match.group() if match else fact.value).lower()
        found = text.find(needle, position)
        assert found >= 0, (fact, text[position:])
        position = found


# --- phrasing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "en", "zh"),
    [
        (["Henan"], "Henan", "河南"),
        (["Henan", "Yunnan"], "Henan and Yunnan", "河南和云南"),
        (
            ["Henan", "Yunnan", "Shandong", "Zhejiang"],
            "Henan, Yunnan, Shandong, and Zhejiang",
            "河南、云南、山东和浙江",
        ),
    ],
)
def test_lists_oxford_comma_and_chinese_enumeration(items: list[str], en: str, zh: str) -> None:
    zh_items = [
        {"Henan": "河南", "Yunnan": "云南", "Shandong": "山东", "Zhejiang": "浙江"}[i]
        for i in items
    ]
    assert ph.join(items, "en") == en
    assert ph.join(zh_items, "zh") == zh


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [
        ("-49.60", "nearly 50%", "近50%"),  # short of the nearest 5: nearly
        ("47.40", "approximately 45%", "约45%"),  # past it: approximately
        ("-50.00", "50%", "50%"),  # exactly on the step: no qualifier
        ("30", "30%", "30%"),
        ("7.62", "7.62%", "7.62%"),  # under 10 %: the exact figure
        ("-3.55", "3.55%", "3.55%"),
    ],
)
def test_approximate_percent_rounds_to_five_with_nearly(value: str, en: str, zh: str) -> None:
    assert ph.approximate_percent(Decimal(value), "en") == en
    assert ph.approximate_percent(Decimal(value), "zh") == zh


@pytest.mark.parametrize(
    ("pct", "direction", "magnitude"),
    [
        ("0.49", "flat", "flat"),
        ("-0.49", "flat", "flat"),
        ("0.50", "up", "slight"),
        ("-0.99", "down", "slight"),
        ("1.00", "up", "moderate"),
        ("-10.00", "down", "moderate"),
        ("10.01", "up", "large"),
    ],
)
def test_wording_thresholds(pct: str, direction: str, magnitude: str) -> None:
    assert ph.direction(Decimal(pct)) == direction
    assert ph.magnitude(Decimal(pct)) == magnitude


def test_number_and_date_formats() -> None:
    assert ph.number(Decimal("1397.32"), "en") == "1,397.32"
    assert ph.number(Decimal("1397.320"), "zh") == "1,397.320"
    assert ph.number(Decimal("-0.00"), "en") == "0.00"
    assert ph.number(Decimal(120), "en", signed=True) == "+120"
    assert ph.number(Decimal(0), "en", signed=True) == "0"
    assert ph.percent(Decimal("-3.55"), "zh", signed=True) == "-3.55%"
    assert ph.percent(Decimal("0.20"), "en", signed=True) == "+0.20%"
    assert ph.integer(1500, "en") == "1500"
    assert ph.quantity("1,397.32", "mt", "en") == "1,397.32 mt"
    assert ph.quantity("1,397.32", "吨", "zh") == "1,397.32吨"
    assert ph.value_range(Decimal(30), Decimal(50), "en") == "30-50"
    assert ph.value_range(Decimal(-20), Decimal(10), "en") == "-20 to 10"
    assert ph.value_range(Decimal(-20), Decimal(10), "zh") == "-20至10"
    assert ph.month_year("2025-10", "en") == "October 2025"
    assert ph.month_year("2025-10", "zh") == "2025年10月"
    assert ph.month_name("2025-10", "en") == "October"
    assert ph.month_name("2025-10", "zh") == "10月"
    assert ph.shift_period("2025-12", 1) == "2026-01"
    assert ph.shift_period("2025-01", -1) == "2024-12"
    assert ph.format_date(date(2025, 10, 31), "en", short=True) == "Oct 31, 2025"
    assert ph.format_date(date(2025, 10, 31), "en") == "October 31, 2025"
    assert ph.format_date(date(2025, 10, 31), "zh") == "2025年10月31日"
    assert ph.format_date(date(2025, 10, 31), "zh", short=True) == "2025年10月31日"
    assert ph.title_case("smelter inventories fell nearly 50% amid export orders") == (
        "Smelter Inventories Fell Nearly 50% amid Export Orders"
    )


# --- production report: the reference month ----------------------------------------------------


def test_falling_month_english_reads_the_reference() -> None:
    draft = report(FALLING, "en")
    text = text_of(draft)
    assert draft.lang == "en"
    # Headline: direction, month, and the strongest driver (stocks -49.6 % on export orders).
    assert "Declined" in draft.title and "October" in draft.title
    assert "Inventories Fell Nearly 50%" in draft.title
    assert "Export Orders" in draft.title
    assert draft.summary.startswith(
        "In October 2025, domestic silver production decreased by 3.55%"
    )
    assert "Major supply provinces included Henan, Yunnan, Shandong, and Zhejiang." in draft.summary
    assert "3.55%" in draft.body_markdown and "1,397.32 mt" in draft.body_markdown
    assert "51.43 mt" in draft.body_markdown  # the absolute change
    assert "2.05% YoY" in draft.body_markdown
    assert "declined" in draft.body_markdown
    assert re.search(r"\b(rose|increased|surged)\b", draft.summary) is None
    # Reasons by volume: maintenance before inventory counting; the offsetting reason as such.
    assert text.index("Maintenance was the main reason") < text.index("inventory counting")
    assert "copper smelters" in draft.body_markdown
    assert "High production enthusiasm (6.00 mt at 2 smelters) partly offset the decline" in text
    # Forecast movers, provinces in rank order, their reason.
    assert "Guangxi, Gansu, and Inner Mongolia" in draft.body_markdown
    assert "further reduce production in November" in draft.body_markdown
    assert "raw material grade" in draft.body_markdown
    # Stocks, rounded by the documented rule, with the stock reason.
    assert "nearly 50%" in draft.body_markdown and "from the end of September" in text
    assert "4 smelters citing export orders" in draft.body_markdown
    # The body ends without a sources section: the facts are the sources.
    assert "Source" not in draft.body_markdown
    assert not draft.body_markdown.rstrip().endswith(":")


def test_falling_month_chinese_reads_natural_chinese() -> None:
    draft = report(FALLING, "zh")
    assert (
        draft.summary
        == "2025年10月国内白银产量环比下降3.55%，主要供应省份包括河南、云南、山东和浙江。"
    )
    assert draft.title.startswith("10月银锭产量环比下降")
    assert "冶炼厂库存下降近50%" in draft.title
    body = draft.body_markdown
    assert "环比下降3.55%" in body and "1,397.32吨" in body and "减少51.43吨" in body
    assert "同比仍增长2.05%" in body  # YoY against the MoM direction: "但…仍"
    assert "河南、云南、山东和浙江" in body
    assert "广西、甘肃和内蒙古的冶炼厂预计11月将受原料品位影响进一步减产" in body
    assert "降幅近50%" in body and "出口订单" in body
    # Chinese sentences run on without spaces and end in full-width stops.
    assert ". " not in body and "。" in body
    assert " mt" not in body


DISCOUNT = PremiumFacts(
    "AG-INGOT-CN-PREMIUM",
    "yuan/mt",
    "元/吨",
    Decimal(-30),
    Decimal(-10),
    Decimal(-30),
    Decimal(-10),
    "down",
    5,
    "s",
    "assessment:1",
    "assessment:2",
    "assessment:3",
)
IMPORT_OPEN = ArbitrageFacts(
    "import", Decimal("35.50"), "yuan/kg", "元/千克", True, date(2025, 10, 20), "flat", "arb:1"
)
EXPORT_CLOSED = ArbitrageFacts(
    "export", Decimal("-120.00"), "yuan/kg", "元/千克", False, None, "up", "arbitrage:x"
)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("stats", "premium", "arbitrage"),
    [
        (FALLING, None, None),
        (RISING, None, None),
        (FLAT, None, None),
        (FALLING, PREMIUM, EXPORT_OPEN),
        (RISING, DISCOUNT, EXPORT_CLOSED),
        (FLAT, PREMIUM, IMPORT_OPEN),
    ],
    ids=["falling", "rising", "flat", "falling+market", "rising+market", "flat+market"],
)
def test_every_figure_in_the_text_is_a_fact_matching_the_statistics(
    lang: str,
    stats: dict[str, Any],
    premium: PremiumFacts | None,
    arbitrage: ArbitrageFacts | None,
) -> None:
    draft = report(stats, lang, premium=premium, arbitrage=arbitrage)
    assert unbacked_numbers(draft) == set(), draft.body_markdown
    assert_facts_match(draft, stats)
    assert_reading_order(draft)
    # One fact per figure.
    assert len({(f.key, f.source_ref) for f in draft.facts}) == len(draft.facts)


@pytest.mark.parametrize("lang", LANGS)
def test_key_facts_carry_the_statistic_and_the_release(lang: str) -> None:
    found = facts(report(FALLING, lang))
    assert found["mom_pct"].value == "3.55%"
    assert found["mom_pct"].source_ref == f"{SOURCE}#mom_pct"
    assert found["mom_pct"].source_kind == "survey-statistic"
    assert figure(found["production"].value) == Decimal("1397.32")
    assert found["inventory_change_pct"].value == ("近50%" if lang == "zh" else "nearly 50%")
    assert "-49.60%" in found["inventory_change_pct"].label  # the exact figure stays on record
    assert figure(found["reasons[maintenance].volume"].value) == Decimal("40.10")
    assert found["reasons[maintenance].respondents"].value == "3"


def test_drafts_are_deterministic() -> None:
    assert report(FALLING, "en") == report(FALLING, "en")
    assert report(FALLING, "zh", premium=PREMIUM) == report(FALLING, "zh", premium=PREMIUM)


# --- production report: the text follows the data ----------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_rising_month_reads_as_a_rise(lang: str) -> None:
    draft = report(RISING, lang)
    text = text_of(draft)
    if lang == "en":
        assert "Rose in October" in draft.title
        assert "increased by 2.10% MoM" in draft.summary
        assert "rose by 2.10% MoM" in draft.body_markdown
        assert "decreas" not in text.lower() and "declin" not in text.lower()
        assert "an increase of 29.80 mt" in draft.body_markdown
        assert "the increase came mainly from primary producers" in draft.body_markdown
        assert "Production resumption was the main reason cited" in draft.body_markdown
        assert "Maintenance (6.00 mt at 1 smelter) partly offset the increase" in text
        # Stocks rose 7.62 %: under 10 %, quoted exactly.
        assert "rose to 260.00 mt" in draft.body_markdown and "7.62%" in draft.body_markdown
        assert "Smelters in Henan" in draft.body_markdown
        assert "further raise production in November" in draft.body_markdown
    else:
        assert draft.title.startswith("10月银锭产量环比增长")
        assert "环比增长2.10%" in draft.summary
        assert "下降" not in text
        assert "增量主要来自原生企业" in draft.body_markdown
        assert "增幅7.62%" in draft.body_markdown
        assert "河南的冶炼厂预计11月将受复产影响进一步增产" in draft.body_markdown


@pytest.mark.parametrize("lang", LANGS)
def test_flat_month_holds_steady_and_lists_signed_reasons(lang: str) -> None:
    draft = report(FLAT, lang)
    text = text_of(draft)
    if lang == "en":
        assert "Held Steady in October" in draft.title
        assert "held steady (+0.20% MoM)" in draft.summary
        for word in ("decreas", "declin", "rose", "surged", "edged"):
            assert word not in text.lower()
        assert "maintenance (-20.00 mt at 2 smelters)" in text
        assert "production resumption (+18.00 mt at 1 smelter)" in text
        assert "largely offset each other" in text
        assert "little changed" in text  # stocks -0.33 %: within the flat band
        assert "broadly unchanged from October (+0.10%)" in text
    else:
        assert "环比基本持平" in draft.title
        assert "环比基本持平（+0.20%）" in draft.summary
        assert "环比下降" not in text and "环比增长" not in text
        assert "增减基本相互抵消" in text
        assert "较上月末基本持平（-0.33%）" in text
    # No movers in the data: no mover sentence.
    assert "are expected to" not in text and "的冶炼厂预计" not in text


@pytest.mark.parametrize(
    ("mom_pct", "en_title", "en_summary", "zh_summary"),
    [
        ("-0.80", "Edged Down", "edged down 0.80% MoM", "环比小幅下降0.80%"),
        ("0.80", "Edged Up", "edged up 0.80% MoM", "环比小幅增长0.80%"),
        ("-15.00", "Plunged", "plunged 15.00% MoM", "环比大幅下降15.00%"),
        ("12.40", "Surged", "surged 12.40% MoM", "环比大幅增长12.40%"),
        ("0.00", "Held Steady", "was unchanged MoM", "环比持平"),
    ],
)
def test_verbs_follow_the_size_of_the_change(
    mom_pct: str, en_title: str, en_summary: str, zh_summary: str
) -> None:
    change = Decimal(mom_pct) * Decimal("14.4890")  # about 1 % of last month's output per point
    stats = variant(FALLING, mom_pct=mom_pct, mom_abs=str(change.quantize(Decimal("0.01"))))
    en, zh = report(stats, "en"), report(stats, "zh")
    assert en_title in en.title and "October" in en.title
    assert en_summary in en.summary
    assert zh_summary in zh.summary
    assert unbacked_numbers(en) == set() and unbacked_numbers(zh) == set()


@pytest.mark.parametrize("lang", LANGS)
def test_single_main_province(lang: str) -> None:
    stats = variant(FALLING, main_provinces=["Henan"])
    draft = report(stats, lang)
    if lang == "en":
        assert "Henan was the main supply province" in draft.summary
        assert "Henan was the main supply province, accounting for 31.20% of output" in (
            draft.body_markdown
        )
        assert "Major supply provinces" not in text_of(draft)
    else:
        assert draft.summary.endswith("主要供应省份为河南。")
        assert "主要供应省份为河南，产量占比31.20%" in draft.body_markdown
        assert "主要供应省份包括" not in text_of(draft)


@pytest.mark.parametrize("lang", LANGS)
def test_two_main_provinces(lang: str) -> None:
    draft = report(variant(FALLING, main_provinces=["Henan", "Yunnan"]), lang)
    expected = "河南和云南" if lang == "zh" else "Henan and Yunnan."
    assert expected in draft.summary


@pytest.mark.parametrize("lang", LANGS)
def test_no_inventory_no_inventory_sentence(lang: str) -> None:
    stats = variant(FALLING, inventory=None, inventory_change_abs=None, inventory_change_pct=None)
    draft = report(stats, lang)
    text = text_of(draft)
    if lang == "en":
        # "inventory counting" is an output reason, not a stock sentence.
        assert re.search(r"inventor(?!y counting)", text, re.IGNORECASE) is None
        assert "export orders" not in text  # a stock reason without stocks has nothing to explain
    else:
        assert "库存" not in text
    assert {"inventory", "inventory_change_pct", "inventory_change_abs"}.isdisjoint(facts(draft))
    # The headline falls back to the next strongest driver: the reason or the forecast.
    assert (
        ("Driven by Maintenance" in draft.title)
        if lang == "en"
        else ("检修为主要原因" in draft.title)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_inventory_without_a_change(lang: str) -> None:
    stats = variant(FALLING, inventory_change_abs=None, inventory_change_pct=None)
    draft = report(stats, lang)
    expected = (
        "截至10月末冶炼厂库存为121.50吨。"
        if lang == "zh"
        else "Smelter inventories stood at 121.50 mt at the end of October."
    )
    assert expected in draft.body_markdown
    assert "50%" not in text_of(draft)


@pytest.mark.parametrize("lang", LANGS)
def test_no_premium_no_premium_sentence(lang: str) -> None:
    draft = report(FALLING, lang)
    text = text_of(draft)
    if lang == "en":
        assert "yuan per mt" not in text and "yuan/mt" not in text and "premium" not in text
    else:
        assert "元/吨" not in text and "升水" not in text
    assert not any(f.source_kind in ("assessment", "series") for f in draft.facts)


@pytest.mark.parametrize("lang", LANGS)
def test_premium_range_latest_and_trend(lang: str) -> None:
    draft = report(FALLING, lang, premium=PREMIUM)
    body = draft.body_markdown
    if lang == "en":
        assert (
            "silver ingot premiums ranged between 30-50 yuan/mt over the past 5 trading days"
            in body
        )
        assert "with the latest quotes at 40-50 yuan/mt, trending higher" in body
    else:
        assert "近5个交易日国内银锭升水报价在30-50元/吨之间，最新报40-50元/吨" in body
        assert "升水呈走高态势" in body
    found = facts(draft)
    assert found["AG-INGOT-CN-PREMIUM#low_min"].source_ref == "assessment:101"
    assert found["AG-INGOT-CN-PREMIUM#high_max"].source_ref == "assessment:103"
    assert found["AG-INGOT-CN-PREMIUM#days"].source_kind == "series"
    assert "AG-INGOT-CN-PREMIUM" in draft.tags
    assert unbacked_numbers(draft) == set()


@pytest.mark.parametrize("lang", LANGS)
def test_premium_steady_range_and_discounts(lang: str) -> None:
    steady = PremiumFacts(
        "AG-INGOT-CN-PREMIUM",
        "yuan/mt",
        "元/吨",
        Decimal(40),
        Decimal(40),
        Decimal(40),
        Decimal(40),
        "flat",
        3,
        "s",
        "assessment:1",
        "assessment:2",
        "assessment:3",
    )
    text = report(FALLING, lang, premium=steady).body_markdown
    assert ("报价为40元/吨" in text) if lang == "zh" else ("were steady at 40 yuan/mt" in text)
    assert "latest" not in text and "最新报" not in text  # the latest equals the range
    text = report(FALLING, lang, premium=DISCOUNT).body_markdown
    if lang == "en":
        assert "discounts ranged between 10-30 yuan/mt" in text and "premiums" not in text
    else:
        assert "贴水报价在10-30元/吨之间" in text and "升水" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_open_export_window_and_outlook(lang: str) -> None:
    draft = report(FALLING, lang, premium=PREMIUM, arbitrage=EXPORT_OPEN)
    body = draft.body_markdown
    if lang == "en":
        assert "The export window has been open since September 26, 2025" in body
        assert "export profit at 850.00 yuan/kg and widening" in body
        # Cuts (+1) and a profitable open export window (+2): supply tightens.
        assert "With smelters planning lower output and the export window still open" in body
        assert "expected to tighten in November" in body
    else:
        assert "出口窗口自2025年9月26日起保持打开" in body
        assert "最新出口盈利为850.00元/千克，盈利有所扩大" in body
        assert "预计11月国内白银流通供应将趋紧" in body
    found = facts(draft)
    assert found["arbitrage.export.profit"].source_ref == EXPORT_OPEN.source_ref
    assert found["arbitrage.export.profit"].source_kind == "arbitrage"
    # The outlook is the article's last sentence.
    assert body.rstrip().endswith(("November.", "趋紧。"))


@pytest.mark.parametrize("lang", LANGS)
def test_narrowing_export_profit_outweighs_the_cuts(lang: str) -> None:
    narrowing = ArbitrageFacts(
        "export", Decimal("300.00"), "yuan/kg", "元/千克", True, None, "down", "arbitrage:x"
    )
    body = report(FALLING, lang, arbitrage=narrowing).body_markdown
    if lang == "en":
        assert "The export window was open" in body and "narrowing" in body
        assert "expected to gradually increase in November, despite smelters planning lower" in body
    else:
        assert "出口窗口处于打开状态" in body
        assert (
            "尽管冶炼厂计划减产，但考虑到出口利润收窄，预计11月国内白银流通供应将逐步增加" in body
        )


@pytest.mark.parametrize("lang", LANGS)
def test_closed_window_reports_the_loss_and_gives_no_window_outlook(lang: str) -> None:
    body = report(FALLING, lang, arbitrage=EXPORT_CLOSED).body_markdown
    if lang == "en":
        assert "The export window remained closed" in body
        assert "export loss at 120.00 yuan/kg and narrowing" in body
        assert "window still open" not in body and "export profits narrowing" not in body
        assert "With smelters planning lower output, domestic circulating silver supply" in body
    else:
        assert "出口窗口保持关闭，最新出口亏损为120.00元/千克，亏损有所收窄" in body


@pytest.mark.parametrize("lang", LANGS)
def test_a_window_that_closed_in_the_period_says_when_not_that_it_remained_closed(
    lang: str,
) -> None:
    """Open most of October and shut on its last day: "remained closed" would deny the exports
    that drew the stocks down."""
    closed = ArbitrageFacts(
        "export",
        Decimal("-13.85"),
        "yuan/kg",
        "元/千克",
        False,
        None,
        "down",
        "arbitrage:x",
        closed_on=date(2025, 10, 31),
    )
    draft = report(FALLING, lang, arbitrage=closed)
    if lang == "en":
        assert "The export window closed on October 31, 2025, with the latest export loss" in (
            draft.body_markdown
        )
        assert "remained closed" not in draft.body_markdown
    else:
        assert "出口窗口于2025年10月31日关闭，最新出口亏损为13.85元/千克" in draft.body_markdown
    assert facts(draft)["arbitrage.export.closed_on"]
    with pytest.raises(ValueError, match="open window has no closing date"):
        ArbitrageFacts(
            "export",
            Decimal(1),
            "yuan/kg",
            "元/千克",
            True,
            None,
            "up",
            "x",
            closed_on=date.today(),
        )


@pytest.mark.parametrize("lang", LANGS)
def test_no_yoy_no_yoy_clause(lang: str) -> None:
    draft = report(variant(FALLING, yoy_pct=None, yoy_abs=None), lang)
    assert ("同比" if lang == "zh" else "YoY") not in text_of(draft)
    assert "yoy_pct" not in facts(draft)


@pytest.mark.parametrize("lang", LANGS)
def test_no_forecast_movers_no_mover_sentence(lang: str) -> None:
    stats = variant(FALLING, forecast_movers={"cuts": [], "increases": []})
    text = text_of(report(stats, lang))
    assert ("的冶炼厂预计" if lang == "zh" else "reduce production") not in text
    assert ("原料品位" if lang == "zh" else "raw material grade") not in text
    # The forecast total is still there.
    assert ("1,370.00吨" if lang == "zh" else "1,370.00 mt") in text


@pytest.mark.parametrize("lang", LANGS)
def test_no_forecast_no_forecast_paragraph(lang: str) -> None:
    stats = variant(
        FALLING,
        forecast_next=None,
        forecast_change_abs=None,
        forecast_change_pct=None,
        forecast_movers={"cuts": [], "increases": []},
    )
    text = text_of(report(stats, lang))
    assert ("11月" if lang == "zh" else "November") not in text


@pytest.mark.parametrize("lang", LANGS)
def test_first_month_without_a_previous_one(lang: str) -> None:
    stats = variant(
        FALLING,
        mom_abs=None,
        mom_pct=None,
        yoy_pct=None,
        reasons=[],
        inventory_change_abs=None,
        inventory_change_pct=None,
        forecast_movers={"cuts": [], "increases": []},
        forecast_change_pct=None,
        imputed_count=0,
    )
    draft = report(stats, lang)
    text = text_of(draft)
    assert ("环比" if lang == "zh" else "MoM") not in text
    assert ("1,397.32吨" if lang == "zh" else "totalled 1,397.32 mt") in draft.summary
    assert unbacked_numbers(draft) == set()


def test_unknown_names_fall_back_to_their_codes() -> None:
    stats = variant(
        FALLING,
        reasons=[{"code": "flood-damage", "volume": "-30.00", "respondents": 2}],
        by_producer_type=[
            {
                "name": "mine",
                "volume": "1",
                "share": "1",
                "change_abs": "-40.00",
                "change_pct": None,
            },
            {
                "name": "other",
                "volume": "1",
                "share": "1",
                "change_abs": "-11.43",
                "change_pct": None,
            },
        ],
    )
    body = report(stats, "en").body_markdown
    assert "Flood damage was the main reason cited" in body
    assert "came mainly from mine producers, whose output fell by 40.00 mt." in body


def test_stats_of_another_period_or_without_production_are_refused() -> None:
    with pytest.raises(ValueError, match="2025-09"):
        report(variant(FALLING, period="2025-09"), "en")
    with pytest.raises(ValueError, match="nothing to report"):
        report(variant(FALLING, production=None), "en")
    with pytest.raises(ValueError, match="lang"):
        report(FALLING, "fr")
    with pytest.raises(TypeError):
        report(variant(FALLING, mom_pct=-3.55), "en")  # a float never reaches the text


def test_draft_to_dict_is_json_ready() -> None:
    data = report(FALLING, "en", premium=PREMIUM).to_dict()
    assert data["facts"][0].keys() == {"key", "value", "source_kind", "source_ref", "label"}
    assert data["tags"][:4] == ["silver", "production", "supply-survey", "AG-INGOT-CN-OUTPUT"]


# --- daily price report -------------------------------------------------------------------------


def price(
    code: str,
    en: str,
    zh: str,
    low: int | None,
    high: int | None,
    mid: int,
    change: int,
    pct: str,
    ref: int,
) -> PriceFacts:
    return PriceFacts(
        series_code=code,
        name_en=en,
        name_zh=zh,
        unit_en="yuan/mt",
        unit_zh="元/吨",
        low=None if low is None else Decimal(low),
        high=None if high is None else Decimal(high),
        mid=Decimal(mid),
        change=Decimal(change),
        change_pct=Decimal(pct),
        assessment_ref=f"assessment:{ref}",
    )


COPPER = price("CU", "Copper Cathode", "电解铜", 78900, 79200, 79050, 1200, "1.54", 1)
ZINC = price("ZN", "Zinc Ingot", "锌锭", 22350, 22450, 22400, -50, "-0.22", 2)
ALUMINIUM = price("AL", "A00 Aluminium", "A00铝", 20800, 20840, 20820, 0, "0.00", 3)
LEAD = price("PB", "Lead Ingot", "铅锭", None, None, 16900, 100, "0.60", 4)
NICKEL = price("NI", "Nickel", "镍", 120000, 122000, 121000, -2500, "-2.02", 5)
DAY = date(2025, 10, 31)
CORRECTION = CorrectionFacts(
    series_code="AG-SHFE",
    name_en="SHFE silver settlement",
    name_zh="上期所白银结算价",
    unit_en="yuan/kg",
    unit_zh="元/千克",
    day=date(2025, 10, 30),
    old_low=Decimal(100),
    old_high=Decimal(116),
    new_low=Decimal(110),
    new_high=Decimal(116),
    assessment_ref="assessment:99",
    reason="keying error",
)


def daily(
    prices: list[PriceFacts], lang: str, corrections: tuple[CorrectionFacts, ...] = ()
) -> Draft:
    return daily_price_report("Base Metals", "基本金属", DAY, prices, corrections, lang=lang)


@pytest.mark.parametrize("lang", LANGS)
def test_daily_mixed(lang: str) -> None:
    prices = [COPPER, ZINC, ALUMINIUM, LEAD, NICKEL]
    draft = daily(prices, lang)
    body = draft.body_markdown
    if lang == "en":
        assert draft.title == (
            "Base Metals Prices on Oct 31, 2025: Mixed; Copper Cathode Leads Gains, "
            "Nickel Leads Losses"
        )
        assert "Base Metals prices were mixed on Oct 31, 2025." in draft.summary
        # Top three by |change %|: nickel -2.02, copper +1.54, lead +0.60 (zinc -0.22 is fourth).
        assert body.index("Nickel led losses") < body.index("Copper Cathode led gains")
        assert body.index("Copper Cathode led gains") < body.index("Lead Ingot rose")
        assert (
            "Nickel led losses, falling 2,500 yuan/mt (2.02%) to 120,000-122,000 yuan/mt." in body
        )
        assert "Lead Ingot rose 100 yuan/mt (0.60%) to 16,900 yuan/mt." in body
        assert "Zinc Ingot fell" not in body and "Zinc Ingot led" not in body
        assert "| Series | Range | Mid | Change |" in body
        assert "| Copper Cathode (yuan/mt) | 78,900-79,200 | 79,050 | +1,200 (+1.54%) |" in body
        assert "| A00 Aluminium (yuan/mt) | 20,800-20,840 | 20,820 | 0 (0.00%) |" in body
        assert "| Lead Ingot (yuan/mt) | — | 16,900 | +100 (+0.60%) |" in body
    else:
        assert draft.title == "2025年10月31日基本金属价格：涨跌互现，电解铜领涨、镍领跌"
        assert "镍领跌，下跌2,500元/吨（2.02%）至120,000-122,000元/吨。" in body
        assert "| 品种 | 价格区间 | 均价 | 涨跌 |" in body
        assert "| 电解铜（元/吨） | 78,900-79,200 | 79,050 | +1,200（+1.54%） |" in body
    assert unbacked_numbers(draft, ignore=("A00",)) == set()
    assert_reading_order(draft)
    found = facts(draft)
    assert found["NI#change_pct"].source_ref == "assessment:5"
    assert found["NI#change_pct"].source_kind == "assessment"
    assert {f"{p.series_code}#mid" for p in prices} <= found.keys()


@pytest.mark.parametrize("lang", LANGS)
def test_daily_all_up(lang: str) -> None:
    draft = daily([COPPER, LEAD], lang)
    text = text_of(draft)
    if lang == "en":
        assert draft.title.endswith(": Broad Gains Led by Copper Cathode")
        assert "All Base Metals prices rose on Oct 31, 2025." in draft.summary
        assert "fell" not in text and "losses" not in text
    else:
        assert draft.title.endswith("全线上涨，电解铜领涨")
        assert "下跌" not in text and "领跌" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_daily_gains_with_some_unchanged(lang: str) -> None:
    draft = daily([COPPER, ALUMINIUM], lang)
    if lang == "en":
        assert draft.title.endswith(": Copper Cathode Leads Gains")
        assert "rose or held steady" in draft.summary
        assert "A00 Aluminium was unchanged at 20,800-20,840 yuan/mt." in draft.body_markdown
    else:
        assert draft.title.endswith("电解铜领涨")
        assert "A00铝持平，报20,800-20,840元/吨。" in draft.body_markdown


@pytest.mark.parametrize("lang", LANGS)
def test_daily_all_down(lang: str) -> None:
    draft = daily([ZINC, NICKEL], lang)
    if lang == "en":
        assert draft.title.endswith(": Broad Losses Led by Nickel")
        assert "rose" not in text_of(draft) and "gains" not in text_of(draft)
    else:
        assert draft.title.endswith("全线下跌，镍领跌")


@pytest.mark.parametrize("lang", LANGS)
def test_daily_all_flat(lang: str) -> None:
    flat = price("CU", "Copper Cathode", "电解铜", 78900, 79200, 79050, 0, "0.00", 1)
    draft = daily([flat, ALUMINIUM], lang)
    text = text_of(draft)
    if lang == "en":
        assert draft.title.endswith(": All Unchanged")
        assert "All Base Metals prices were unchanged on Oct 31, 2025." in draft.summary
        for word in ("rose", "fell", "led", "gains", "losses"):
            assert word not in text
    else:
        assert draft.title.endswith("全线持平")
        for word in ("上涨", "下跌", "领涨", "领跌"):
            assert word not in text
    assert unbacked_numbers(draft, ignore=("A00",)) == set()


@pytest.mark.parametrize("lang", LANGS)
def test_daily_corrections(lang: str) -> None:
    draft = daily([COPPER], lang, (CORRECTION,))
    body = draft.body_markdown
    if lang == "en":
        assert "**Corrections**" in body
        assert (
            "- SHFE silver settlement for Oct 30, 2025 corrected: 100-116 yuan/kg should be "
            "110-116 yuan/kg. Reason: keying error." in body
        )
    else:
        assert "**更正**" in body
        assert "2025年10月30日上期所白银结算价由100-116元/千克更正为110-116元/千克。" in body
    found = facts(draft)
    assert found["AG-SHFE/2025-10-30#old_low"].value.startswith("100")
    assert found["AG-SHFE/2025-10-30#new_low"].source_ref == "assessment:99"
    assert unbacked_numbers(draft) == set()


def test_daily_without_corrections_has_no_corrections_section() -> None:
    assert "Correction" not in daily([COPPER], "en").body_markdown
    assert "更正" not in daily([COPPER], "zh").body_markdown


def test_daily_needs_prices() -> None:
    with pytest.raises(ValueError, match="no released prices"):
        daily([], "en")


def test_fact_shapes_refuse_inconsistent_inputs() -> None:
    with pytest.raises(ValueError, match="low is above its high"):
        PremiumFacts(
            "P",
            "yuan/mt",
            "元/吨",
            Decimal(50),
            Decimal(30),
            Decimal(40),
            Decimal(45),
            "up",
            5,
            "s",
            "a:1",
            "a:2",
            "a:3",
        )
    with pytest.raises(ValueError, match="days"):
        PremiumFacts(
            "P",
            "yuan/mt",
            "元/吨",
            Decimal(30),
            Decimal(50),
            Decimal(40),
            Decimal(45),
            "up",
            0,
            "s",
            "a:1",
            "a:2",
            "a:3",
        )
    with pytest.raises(ValueError, match="closed window"):
        ArbitrageFacts("export", Decimal(1), "yuan/kg", "元/千克", False, DAY, "up", "x")
    with pytest.raises(ValueError, match="trend"):
        ArbitrageFacts("export", Decimal(1), "yuan/kg", "元/千克", True, None, "sideways", "x")  # type: ignore[arg-type]


# --- public titles: the same facts without their figures ---------------------------------------


def test_the_public_title_says_the_facts_without_a_figure() -> None:
    """The title a premium report shows everyone (newsroom/teaser.py), as the reference reads:
    "Silver Ingot Production Declined in October, Concentrated Exports Led to Reduced Inventory
    at Domestic Smelters": direction, month and driver, chosen by the facts, no number."""
    plain = {lang: report(FALLING, lang, figures_in_title=False).title for lang in LANGS}
    assert plain["en"] == (
        "Silver Ingot Production Declined in October, Smelter Inventories Fell amid Export Orders"
    )
    assert plain["zh"] == "10月银锭产量环比下降，受出口订单影响冶炼厂库存下降"
    for lang in LANGS:
        assert not _NUMBER.search(_DATE_ZH.sub("", plain[lang])), plain[lang]
        assert report(FALLING, lang).title != plain[lang]  # the full title keeps its figure
    rising = variant(FALLING, mom_pct="4.20", mom_abs="56.00", production="1500.00")
    assert "Production Rose in October" in report(rising, "en", figures_in_title=False).title


@pytest.mark.parametrize("lang", LANGS)
def test_the_daily_title_without_names(lang: str) -> None:
    prices = [COPPER, ZINC, ALUMINIUM, LEAD, NICKEL]
    plain = daily_price_report(
        "Base Metals", "基本金属", DAY, prices, (), lang=lang, names_in_title=False
    ).title
    expected = {
        "en": "Base Metals Prices on Oct 31, 2025: Mixed",
        "zh": "2025年10月31日基本金属价格：涨跌互现",
    }
    assert plain == expected[lang]
