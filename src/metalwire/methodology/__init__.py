"""Published methodology documents, one per price family (also under docs/methodology/)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from markdown_it import MarkdownIt

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def families() -> list[str]:
    folder = resources.files("metalwire.methodology")
    return sorted(
        p.name.removesuffix(".md")
        for p in folder.iterdir()
        if p.name.endswith(".md") and p.name != "index.md"
    )


@lru_cache(maxsize=64)
def render(slug: str) -> tuple[str, str] | None:
    """(title, HTML) of a methodology document, or None for an unknown slug."""
    if not SLUG.match(slug):
        return None
    source = resources.files("metalwire.methodology").joinpath(f"{slug}.md")
    if not source.is_file():
        return None
    text = source.read_text("utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), slug)
    html = MarkdownIt("commonmark").enable("table").render(text)
    # Links between documents point at their site pages.
    html = re.sub(r'href="([a-z0-9-]+)\.md"', r'href="/methodology/\1"', html)
    return title, html
