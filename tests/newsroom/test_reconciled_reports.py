"""Reports that reconcile: every level the production report quotes beside a change, less that
change, is the previous published figure (within the published rounding), or the sentence names
the newcomers, leavers or unreported smelters making the difference; and a month whose panel
changed says what the panel's changes moved. Read from the draft's figure tags (which fact each
sentence quotes), in both languages, over generated panels and through the real release and
drafting path on both databases.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings

from metalwire.catalog.models import Tier
from metalwire.newsroom import reports
from metalwire.newsroom.generators import Draft
from metalwire.newsroom.generators.facts import decimal_of, tags_in, untag
from metalwire.supply import service as supply
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn
from metalwire.supply.service import localize
from metalwire.supply.stats import Respondent, Return, compute
from tests.conftest import Desk
from tests.newsroom.test_generators import figure, report
from tests.supply.test_reconcile import OCTOBER_START, SEPTEMBER_END, panels
from tests.supply.test_stats import ret, smelter

LANGS = ("en", "zh")
CENT = Decimal("0.01")

# A level quoted beside a change: the change keys, whether each is a percentage, and the keys
# naming what makes the difference when the change is not the total's own.
_PANEL_PARTS = ("joined_volume", "left_volume", "unreported_volume")
PAIRS: dict[str, dict[str, Any]] = {
    "production": {
        "previous": "production",
        "changes": {
            "output_bridge.change_abs": False,
            "output_bridge.change_pct": True,
            "mom_abs": False,
            "mom_pct": True,
        },
        "parts": tuple(f"output_bridge.{part}" for part in _PANEL_PARTS),
    },
    "inventory": {
        "previous": "inventory",
        "changes": {
            "inventory_bridge.change_abs": False,
            "inventory_bridge.change_pct": True,
            "inventory_change_abs": False,
            "inventory_change_pct": True,
        },
        "parts": tuple(f"inventory_bridge.{part}" for part in _PANEL_PARTS),
    },
}


def draft(stats: dict[str, Any], lang: str, *, tagged: bool) -> Draft:
    return report(stats, lang, tagged=tagged)


def stat(stats: dict[str, Any], key: str) -> Decimal | None:
    table, _, field = key.partition(".")
    value = (stats.get(table) or {}).get(field) if field else stats.get(key)
    return decimal_of(value)


_SENTENCE_END = re.compile(r"(?<=。)|(?<=\.) (?=[A-Z])")


def sentences(draft: Draft) -> list[str]:
    """Title, summary and each sentence of the body (a '；' or '; ' joins clauses of one)."""
    out = [draft.title, draft.summary]
    for block in draft.body_markdown.split("\n\n"):
        out += [s for s in _SENTENCE_END.split(block) if s.strip()]
    return out


def quoted(draft: Draft, sentence: str) -> dict[str, str]:
    """The facts a tagged sentence quotes: key -> the figure as quoted."""
    return {draft.facts[i].key: draft.facts[i].value for i in tags_in(sentence)}


def _tolerance(level: Decimal, pct: bool, change: Decimal) -> Decimal:
    half = CENT / 2  # a published volume's rounding
    if not pct:
        return 2 * half  # the level's and the previous level's (a change of two: theirs)
    # previous = level / factor: the level's rounding is divided by the factor, and a percentage
    # rounded to 0.005 points moves the factor by 0.00005.
    factor = max(1 + change / 100, Decimal("0.01"))
    return half + half / factor + abs(level) * Decimal("0.00005") / factor**2


def _implied_previous(level: Decimal, change: Decimal, pct: bool) -> Decimal | None:
    if not pct:
        return level - change
    factor = 1 + change / 100
    return level / factor if factor > Decimal("0.01") else None


def assert_reconciles(
    stats: dict[str, Any], previous: dict[str, Any], lang: str
) -> list[tuple[str, str]]:
    """Check one report; returns the (level, change) pairs it checked."""
    plain, tagged = draft(stats, lang, tagged=False), draft(stats, lang, tagged=True)
    assert [untag(s) for s in (tagged.title, tagged.summary, tagged.body_markdown)] == [
        plain.title,
        plain.summary,
        plain.body_markdown,
    ]
    assert tagged.facts == plain.facts
    checked = []
    for sentence in sentences(tagged):
        keys = quoted(tagged, sentence)
        for level_key, rule in PAIRS.items():
            if level_key not in keys:
                continue
            level = figure(keys[level_key])
            assert level == stat(stats, level_key), (level_key, sentence)
            published = stat(previous, rule["previous"])
            for change_key, pct in rule["changes"].items():
                if change_key not in keys:
                    continue
                change = stat(stats, change_key)
                assert change is not None and published is not None, untag(sentence)
                if figure(keys[change_key]) != abs(change):
                    continue  # a rounded wording ("nearly 50%"), said as such
                checked.append((level_key, change_key))
                implied = _implied_previous(level, change, pct)
                if implied is None:
                    continue
                if abs(implied - published) <= _tolerance(level, pct, change):
                    continue
                named = [part for part in rule["parts"] if part in keys]
                assert named, f"{lang}: {untag(sentence)!r}: {level} and {change} miss {published}"
    return checked


def assert_panel_changes_are_told(stats: dict[str, Any], lang: str) -> None:
    """Every newcomer, leaver or unreported smelter of a panel change is said, with its volume."""
    tagged = draft(stats, lang, tagged=True)
    keys = {key for s in sentences(tagged) for key in quoted(tagged, s)}
    for bridge in ("output_bridge", "inventory_bridge"):
        if bridge == "inventory_bridge" and stats.get("inventory") is None:
            continue
        for part in ("joined", "left", "unreported"):
            if (stats.get(bridge) or {}).get(f"{part}_count"):
                assert {f"{bridge}.{part}_count", f"{bridge}.{part}_volume"} <= keys, part


def _both_months(
    panel: list[Respondent], returns: list[Return]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    stats = localize(compute("2025-10", panel, returns).to_dict())
    if stats.get("production") is None:
        return None  # no report for a month without figures
    return stats, compute("2025-09", panel, returns).to_dict()


# --- the four kinds of month, by hand ---------------------------------------------------------

PANEL = [smelter("A", "henan", "lead"), smelter("B", "yunnan", "copper"), smelter("C")]
JOINER = smelter("N", "henan", "lead", active_from=OCTOBER_START)
LEAVER = smelter("L", "yunnan", "lead", active_to=SEPTEMBER_END)


def _month(sept: tuple[int, ...], october: tuple[int, ...]) -> list[Return]:
    return [
        *(ret(s.id, "2025-09", v, inventory=v // 4) for s, v in zip(PANEL, sept, strict=True)),
        *(ret(s.id, "2025-10", v, inventory=v // 5) for s, v in zip(PANEL, october, strict=True)),
    ]


MONTHS = {
    "rising": (PANEL, _month((300, 200, 100), (330, 220, 110))),
    "falling": (PANEL, _month((300, 200, 100), (290, 180, 100))),
    "flat": (PANEL, _month((300, 200, 100), (300, 201, 100))),
    # The matched smelters fell 3.33 % while the total rose 15 % on a newcomer.
    "newcomer": (
        [*PANEL, JOINER],
        [*_month((300, 200, 100), (290, 190, 100)), ret("N", "2025-10", 110, inventory=90)],
    ),
    "leaver": (
        [*PANEL, LEAVER],
        [*_month((300, 200, 100), (310, 210, 100)), ret("L", "2025-09", 80, inventory=8)],
    ),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(MONTHS))
def test_rising_falling_flat_and_panel_changing_months_reconcile(kind: str, lang: str) -> None:
    both = _both_months(*MONTHS[kind])
    assert both is not None
    stats, previous = both
    checked = assert_reconciles(stats, previous, lang)
    changed = kind in ("newcomer", "leaver")
    # The total is quoted with a change on its own basis: the matched one when the panel held,
    # the bridge's when it changed.
    expected = "output_bridge.change_abs" if changed else "mom_abs"
    assert ("production", expected) in checked, checked
    assert_panel_changes_are_told(stats, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_the_title_follows_the_like_for_like_change_not_the_newcomer(lang: str) -> None:
    stats, _ = _both_months(*MONTHS["newcomer"]) or ({}, {})
    assert Decimal(stats["output_bridge"]["change_abs"]) > 0 > Decimal(stats["mom_abs"])
    title = draft(stats, lang, tagged=False).title
    if lang == "en":
        assert title.startswith("Like-for-like Silver Ingot Production Declined in October")
    else:
        assert title.startswith("10月银锭同口径产量环比下降")


def test_a_month_whose_panel_held_reads_as_before() -> None:
    """No bridge churn: the same text with or without the bridges in the release."""
    stats, _ = _both_months(*MONTHS["falling"]) or ({}, {})
    bare = {k: v for k, v in stats.items() if not k.endswith("_bridge")}
    for lang in LANGS:
        with_bridges, without = draft(stats, lang, tagged=False), draft(bare, lang, tagged=False)
        assert (with_bridges.title, with_bridges.body_markdown) == (
            without.title,
            without.body_markdown,
        )


# --- over generated panels --------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(panels())
@example(MONTHS["newcomer"])
@example(MONTHS["leaver"])
def test_every_quoted_level_and_change_reconcile_over_generated_panels(
    survey: tuple[list[Respondent], list[Return]],
) -> None:
    both = _both_months(*survey)
    if both is None:
        return
    stats, previous = both
    for lang in LANGS:
        assert_reconciles(stats, previous, lang)
        assert_panel_changes_are_told(stats, lang)


# --- through the release and drafting path, on both databases ---------------------------------

SURVEY = "AG-RECON"
NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)


def _return(period: str, code: str, production: str, inventory: str) -> ReturnIn:
    province = {"HN": "henan", "YN": "yunnan", "ZJ": "zhejiang"}[code[:2]]
    return ReturnIn.model_validate(
        {
            "period": period,
            "respondent": code,
            "name": f"{province.title()} {code}",
            "province": province,
            "producer_type": "primary",
            "capacity": "3600",
            "production": production,
            "inventory": inventory,
        }
    )


def _release_two_months(desk: Desk, *, late_september: bool) -> Decimal:
    """September released with two smelters; October with a third joining (and, if
    ``late_september``, a corrected September return in before October's release). Returns
    September's published total."""
    with desk.db.transaction() as session:
        supply.create_survey(session, SURVEY, entry="silver", unit="mt", tier=Tier.FREE, actor="t")
        survey = supply.require_survey(session, SURVEY)
        september = [
            _return("2025-09", "HN-1", "300", "40"),
            _return("2025-09", "YN-1", "200", "30"),
        ]
        add_returns(session, survey, september, actor="t")
        first = supply.release(
            session, survey, "2025-09", status=ReleaseStatus.FINAL, user=desk.editor, now=NOW
        )
        october = [
            _return("2025-10", "HN-1", "290", "20"),
            _return("2025-10", "YN-1", "190", "25"),
            _return("2025-10", "ZJ-1", "120", "60"),
        ]
        if late_september:
            october.append(_return("2025-09", "YN-1", "210", "30"))
        add_returns(session, survey, october, actor="t")
        supply.release(
            session, survey, "2025-10", status=ReleaseStatus.FINAL, user=desk.editor, now=NOW
        )
        return Decimal(first.stats["production"])


def _october_report(desk: Desk) -> dict[str, Draft]:
    with desk.db.transaction() as session:
        survey = supply.require_survey(session, SURVEY)
        later = NOW + dt.timedelta(days=60)
        return reports.production_input(session, survey, "2025-10", now=later).drafts


def test_a_released_report_reconciles_with_last_months_published_total(desk: Desk) -> None:
    """The October report quotes the total with its change from September's published total,
    and the newcomer's output."""
    published_september = _release_two_months(desk, late_september=False)
    for lang, drafted in _october_report(desk).items():
        facts = {fact.key: fact.value for fact in drafted.facts}
        level, change = figure(facts["production"]), figure(facts["output_bridge.change_abs"])
        # 600 now against 500 published: up 100, of which the newcomer's 120, like for like -20.
        assert level - change == published_september == Decimal("500.00"), lang
        assert figure(facts["output_bridge.previous"]) == published_september
        assert figure(facts["output_bridge.joined_volume"]) == Decimal("120.00")
        assert figure(facts["mom_abs"]) == Decimal("20.00")
        assert figure(facts["inventory"]) - figure(facts["inventory_bridge.change_abs"]) == 70
        assert "output_bridge.published_previous" not in facts
        newcomer = "1 smelter newly in the survey" if lang == "en" else "新纳入调研的1家冶炼厂"
        assert newcomer in drafted.body_markdown


def test_a_revised_previous_month_is_named_beside_the_change(desk: Desk) -> None:
    """September revised by a late return after its release: October's change is from the
    revised total, and the sentence says what September first published."""
    published_september = _release_two_months(desk, late_september=True)
    for drafted in _october_report(desk).values():
        facts = {fact.key: fact.value for fact in drafted.facts}
        level, change = figure(facts["production"]), figure(facts["output_bridge.change_abs"])
        assert level - change == figure(facts["output_bridge.previous"]) == Decimal("510.00")
        assert figure(facts["output_bridge.published_previous"]) == published_september
        sentence = next(
            s
            for s in _SENTENCE_END.split(drafted.body_markdown)
            if facts["output_bridge.change_abs"] in s
        )
        assert facts["output_bridge.published_previous"] in sentence, sentence
