"""Public teasers: the title and summary of every article are public (a reader without the plan
sees them, not the body, of a premium article), so premium figures are kept out of them. When a
generated title or summary quotes a figure of a premium survey or series, a shorter teaser (or a
neutral line) takes its place and the figures stay in the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from metalwire.newsroom import generators as gen

_FIGURE = re.compile(r"\d(?:[\d,.]*\d)?")


def figures(text: str) -> set[str]:
    return set(_FIGURE.findall(text))


def _premium_figures(draft: gen.Draft, premium: Iterable[str]) -> set[str]:
    """The figures of the draft's facts that come from premium sources (by source_ref). Facts
    describing a series window (how many days read, the trend's word) carry no price."""
    refs = set(premium)
    out: set[str] = set()
    for fact in draft.facts:
        if fact.source_kind == "series":
            continue
        if fact.source_ref in refs or fact.source_ref.split("#")[0] in refs:
            out |= figures(fact.value)
    return out


def _public_figures(text: str, dates: Sequence[str]) -> set[str]:
    """The figures of a public text, leaving out the report's own dates ("Nov 25, 2026",
    "2025年10月"), whose day and month numbers are not data."""
    for date in sorted(dates, key=len, reverse=True):
        text = text.replace(date, " ")
    return figures(text)


def teaser(
    draft: gen.Draft,
    premium_refs: Iterable[str],
    *,
    dates: Sequence[str],
    neutral_title: str,
    neutral_summary: str,
    cut_before: Sequence[str] = (),
    public_titles: Sequence[str] = (),
) -> gen.Draft:
    """The draft with a title and summary free of premium figures (the body keeps them). A
    title quoting one is replaced by the first of ``public_titles`` (the same facts said
    without their numbers) that quotes none, and only failing those by ``neutral_title``."""
    secret = _premium_figures(draft, premium_refs)
    if not secret:
        return draft
    title, summary = draft.title, draft.summary
    if _public_figures(title, dates) & secret:
        clean = [t for t in public_titles if t and not _public_figures(t, dates) & secret]
        title = clean[0] if clean else neutral_title
    if _public_figures(summary, dates) & secret:
        # The summary's lead sentence names no series; the figures follow the first name.
        cuts = [summary.find(name) for name in cut_before if name and name in summary]
        short = summary[: min(cuts)].strip() if cuts else ""
        summary = short if short and not _public_figures(short, dates) & secret else neutral_summary
    return gen.Draft(
        lang=draft.lang,
        title=title,
        summary=summary,
        body_markdown=draft.body_markdown,
        facts=draft.facts,
        tags=draft.tags,
    )
