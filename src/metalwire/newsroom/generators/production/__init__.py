"""The monthly production report: one survey release's statistics in, a draft out.

The report reads in parts, one module each: ``headline`` (title and summary), ``output`` (the
month's production, provinces, producer types), ``reasons``, ``forecast``, ``stocks`` (smelter
inventories) and ``market`` (spot premium, arbitrage window, outlook). They share one
``ProductionWriter``, which records each quoted figure as a fact in reading order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.generators.facts import (
    ArbitrageFacts,
    Draft,
    PremiumFacts,
    paragraph,
    slug,
)
from metalwire.newsroom.generators.production.forecast import forecast_paragraph
from metalwire.newsroom.generators.production.headline import summary, title
from metalwire.newsroom.generators.production.market import market_paragraph, premium_sentence
from metalwire.newsroom.generators.production.output import production_paragraph
from metalwire.newsroom.generators.production.stocks import inventory_sentence
from metalwire.newsroom.generators.production.writer import ProductionWriter

# How sentences name the producer types of the default survey panels (plural English, Chinese).
PRODUCER_TYPES: dict[str, tuple[str, str]] = {
    "primary": ("primary producers", "原生企业"),
    "lead-smelter by-product": ("lead smelters", "铅冶炼厂"),
    "copper-smelter by-product": ("copper smelters", "铜冶炼厂"),
    "recycling": ("recyclers", "再生企业"),
    "primary-smelter": ("primary smelters", "原生冶炼厂"),
    "recycled-copper-smelter": ("recycled-copper smelters", "再生铜冶炼厂"),
}


def production_report(
    stats: Mapping[str, Any],
    *,
    survey_name_en: str,
    survey_name_zh: str,
    commodity_en: str,
    commodity_zh: str,
    unit: str,
    period: str,
    lang: str,
    source_ref: str,
    premium: PremiumFacts | None = None,
    arbitrage: ArbitrageFacts | None = None,
    product_en: str | None = None,
    product_zh: str | None = None,
    producer_types: Mapping[str, tuple[str, str]] | None = None,
    figures_in_title: bool = True,
    tag_figures: bool = False,
) -> Draft:
    """A monthly production report drafted from one survey release.

    ``stats`` is ``SurveyStats.to_dict()`` after ``supply.service.localize`` (decimals as
    strings); ``commodity_*`` names the metal in sentences ("domestic silver production"),
    ``product_*`` the product in the headline and the premium sentence (default: the commodity;
    e.g. "silver ingot" / "银锭"); ``unit`` is the survey's unit code ("mt"); ``source_ref``
    names the release ("AG-INGOT-CN-OUTPUT/2025-10/v1") and prefixes every statistic's
    reference. ``producer_types`` overrides how producer-type codes are named (plural English,
    Chinese); the default panels' types are known (``PRODUCER_TYPES``). ``figures_in_title``
    False: the title says the same facts without a number (a premium report's public title).
    ``tag_figures``: every quoted figure carries its fact's index (``facts.tags_in``), so a
    check can read which facts each sentence quotes; ``facts.untag`` gives the text back.
    """
    checked = ph.check_lang(lang)
    ph.parse_period(period)
    stated = stats.get("period")
    if stated is not None and stated != period:
        raise ValueError(f"stats are for {stated}, not for {period}")
    writer = ProductionWriter(
        stats,
        survey_name_en=survey_name_en,
        survey_name_zh=survey_name_zh,
        commodity_en=commodity_en,
        commodity_zh=commodity_zh,
        product_en=product_en or commodity_en,
        product_zh=product_zh or commodity_zh,
        unit=unit,
        period=period,
        lang=checked,
        source_ref=source_ref,
        premium=premium,
        arbitrage=arbitrage,
        producer_types={**PRODUCER_TYPES, **(producer_types or {})},
        tagged=tag_figures,
    )
    tags = [slug(commodity_en), "production", "supply-survey", source_ref.split("/")[0]]
    if premium is not None:
        tags.append(premium.series_code)
    if arbitrage is not None:
        tags.append(f"{arbitrage.kind}-arbitrage")
    return _draft(writer, list(dict.fromkeys(tag for tag in tags if tag)), figures_in_title)


def _draft(w: ProductionWriter, tags: list[str], figures_in_title: bool = True) -> Draft:
    # Title and summary first: facts are recorded in reading order.
    head = title(w, figures=figures_in_title)
    lead = summary(w)
    paragraphs = [
        production_paragraph(w),
        forecast_paragraph(w),
        paragraph(w.lang, inventory_sentence(w), premium_sentence(w)),
        market_paragraph(w),
    ]
    return Draft(
        lang=w.lang,
        title=head,
        summary=lead,
        body_markdown="\n\n".join(p for p in paragraphs if p) + "\n",
        facts=w.facts.items(),
        tags=tags,
    )
