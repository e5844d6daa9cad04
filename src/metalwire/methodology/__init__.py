"""Published methodology documents, one per price family (also under docs/methodology/), each
in English and, under zh/, in Chinese."""

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
    text = source.read_text("utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), slug)
    html = MarkdownIt("commonmark").enable("table").render(text)
    # Links between documents point at their site pages.
    html = re.sub(r'href="([a-z0-9-]+)\.md"', r'href="/methodology/\1"', html)
    return title, html
