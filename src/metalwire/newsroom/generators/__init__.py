"""Report generators: published figures in, a draft article (English or Chinese) out.

Pure code: plain data in (a survey release's statistics as ``SurveyStats.to_dict()`` after
``supply.service.localize``; premium, arbitrage and price facts gathered by the caller), a
``Draft`` out. No database, no web, no clock, no randomness: the same data always gives the same
draft, so an editor's changes can be diffed against what the machine wrote.

The text follows the data. Every sentence is chosen by the facts it reports — a rise, a fall or
a flat month take different sentence shapes and verbs (thresholds in ``phrasing``), one province
reads differently from several, and a figure that is missing (no inventory, no YoY, no premium,
no window, no forecast movers) removes its sentence rather than leaving a blank. Every figure
the text quotes is recorded as a ``Fact`` naming the statistic or assessment it came from, in
reading order (title, summary, body); the site renders them as the sources section, so the body
carries none.

``facts`` holds the shapes, ``production`` the monthly production report (one module per part,
each documenting the choices a reader may ask about), ``daily`` the daily price report.
"""

from metalwire.newsroom.generators.daily import daily_price_report
from metalwire.newsroom.generators.facts import (
    ArbitrageFacts,
    ArbitrageKind,
    CorrectionFacts,
    Draft,
    Fact,
    PremiumFacts,
    PriceFacts,
    SourceKind,
    Trend,
)
from metalwire.newsroom.generators.production import PRODUCER_TYPES, production_report

__all__ = [
    "PRODUCER_TYPES",
    "ArbitrageFacts",
    "ArbitrageKind",
    "CorrectionFacts",
    "Draft",
    "Fact",
    "PremiumFacts",
    "PriceFacts",
    "SourceKind",
    "Trend",
    "daily_price_report",
    "production_report",
]
