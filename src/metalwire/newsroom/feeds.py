"""RSS 2.0 and Atom feeds of published articles (per catalog group and language), with feedgen.

Pure: the caller decides what goes in (published articles only) and what each item may carry —
a premium article's item holds its title and summary, never its body, for a reader without
the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

FeedKind = Literal["rss", "atom"]
MEDIA_TYPES: dict[FeedKind, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


@dataclass(frozen=True)
class FeedItem:
    url: str  # absolute; also the item's id
    title: str
    summary: str
    published: dt.datetime
    updated: dt.datetime
    content_html: str | None = None  # None: summary only (premium, reader without the plan)
    categories: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class FeedInfo:
    title: str
    description: str
    lang: str
    site_url: str  # the page the feed is about (absolute)
    self_url: str  # the feed's own address (absolute); also its id
    updated: dt.datetime  # used when there are no items


def build_feed(kind: FeedKind, info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    """The feed document, newest item first."""
    fg = FeedGenerator()
    fg.id(info.self_url)
    fg.title(info.title)
    # RSS takes the channel <link> from the last link set: the self link first.
    fg.link(href=info.self_url, rel="self")
    fg.link(href=info.site_url, rel="alternate")
    fg.description(info.description)
    fg.language(info.lang)
    fg.updated(max((i.updated for i in items), default=info.updated))
    for item in items:
        entry = fg.add_entry(order="append")
        entry.id(item.url)
        entry.guid(item.url, permalink=True)
        entry.title(item.title)
        entry.link(href=item.url)
        entry.summary(item.summary)
        if item.content_html is not None:
            entry.content(item.content_html, type="html")
        entry.published(item.published)
        entry.updated(item.updated)
        for term in item.categories:
            entry.category(term=term)
    data: bytes = fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)
    return data
