"""Article bodies: Markdown to sanitized HTML, and to plain text for search.

Pure. Markdown is rendered with markdown-it (CommonMark plus tables, no raw HTML) and the result
is cleaned with nh3 against an allow-list, so neither a writer's slip nor a crafted figure can
put a script, an event handler or a ``javascript:`` link on the site or into a feed.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h2",
        "h3",
        "h4",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"style"}, "th": {"style"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_SPACES = re.compile(r"\s+")


def markdown_to_html(text: str) -> str:
    """Sanitized HTML of a Markdown body."""
    raw = _markdown.render(text)
    return nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, blocks separated by spaces."""
    spaced = re.sub(r"<(/p|/li|/tr|/td|/th|br|/h\d|/blockquote)\b[^>]*>", " ", fragment)
    return _SPACES.sub(" ", html.unescape(nh3.clean(spaced, tags=set()))).strip()


def markdown_to_text(text: str) -> str:
    """The plain text of a Markdown body (what search reads)."""
    return html_to_text(markdown_to_html(text))
