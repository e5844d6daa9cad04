"""Published methodology documents, one per price family (also under docs/methodology/), each
in English and, under zh/, in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources

from markdown_it import MarkdownIt

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# Documents that are no price family's rule: the overview and how changes are governed.
GENERAL = frozenset({"index.md", "governance.md"})


def families() -> list[str]:
    folder = resources.files("metalwire.methodology")
    return sorted(
        p.name.removesuffix(".md")
        for p in folder.iterdir()
        if p.name.endswith(".md") and p.name not in GENERAL
    )


LANGS = ("en", "zh")


@lru_cache(maxsize=128)
def render(slug: str, lang: str = "en") -> tuple[str, str] | None:
    """(title, HTML) of a methodology document in ``lang`` ("en", or "zh" from zh/), or None
    for an unknown slug or language."""
    if not SLUG.match(slug) or lang not in LANGS:
        return None
    folder = resources.files("metalwire.methodology")
    if not folder.joinpath(f"{slug}.md").is_file():
        return None
    source = folder.joinpath(f"zh/{slug}.md" if lang == "zh" else f"{slug}.md")
    if not source.is_file():
        return None
    return render_text(source.read_text("utf-8"), slug)


def packaged_text(slug: str, lang: str = "en") -> str | None:
    """The document as packaged (in English, or ``lang`` "zh" from zh/): version 1 of the
    family's methodology."""
    if not SLUG.match(slug) or f"{slug}.md" in GENERAL or lang not in LANGS:
        return None
    source = resources.files("metalwire.methodology").joinpath(
        f"zh/{slug}.md" if lang == "zh" else f"{slug}.md"
    )
    return source.read_text("utf-8") if source.is_file() else None


STATED_VERSION = re.compile(r"^Methodology version: (\d+) \(effective (\d{4}-\d{2}-\d{2})\)", re.M)


def packaged_version(slug: str) -> tuple[int, dt.date]:
    """The version number and effective date the packaged document states on its last lines
    ("Methodology version: 1 (effective 2026-11-26)"); version 1 from 1900 if it states none."""
    found = STATED_VERSION.search(packaged_text(slug) or "")
    if found is None:
        return 1, dt.date(1900, 1, 1)
    return int(found.group(1)), dt.date.fromisoformat(found.group(2))


def render_text(text: str, fallback_title: str) -> tuple[str, str]:
    """(title, HTML) of a methodology text: a packaged document or a later version's text."""
    title = next(
        (line[2:].strip() for line in text.splitlines() if line.startswith("# ")), fallback_title
    )
    html = MarkdownIt("commonmark").enable("table").render(text)
    # Links between documents point at their site pages.
    html = re.sub(r'href="([a-z0-9-]+)\.md"', r'href="/methodology/\1"', html)
    return title, html
