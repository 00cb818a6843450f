"""Staff's Markdown (a webinar's summary and key messages) rendered to safe HTML.

Two layers, so hostile text never reaches a page as markup: markdown-it-py parses CommonMark
with raw HTML off (a `<script>` or `<img onerror=...>` typed by anyone comes out as text) and
refuses `javascript:`, `vbscript:`, `file:` and `data:` links; then nh3 (Ammonia) keeps only the
tags and attributes below, links only to http(s) and mailto, with `rel="nofollow noopener
noreferrer"`. Images are not rendered (the CSP and the archive's privacy promise allow none from
elsewhere). The result is `Markup`, for the `markdown` and `markdown_inline` filters.
"""

from __future__ import annotations

from typing import Final

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS: Final = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
    | {"h3", "h4", "h5", "h6"}
)
INLINE_TAGS: Final = frozenset({"em", "strong", "code", "a", "br"})
ATTRIBUTES: Final = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})

_PARSER: Final = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    "image"
)


def _clean(html: str, tags: frozenset[str]) -> Markup:
    cleaned = nh3.clean(
        html,
        tags=set(tags),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items() if tag in tags},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(cleaned.strip())  # sanitised by nh3 just above


def render_markdown(text: str | None) -> Markup:
    """A block of Markdown (a summary) as sanitised HTML; empty for None or blank."""
    if not text or not text.strip():
        return Markup("")
    return _clean(_PARSER.render(text), TAGS)


def render_inline(text: str | None) -> Markup:
    """One short item (a key message) as sanitised inline HTML: emphasis, code and links only."""
    if not text or not text.strip():
        return Markup("")
    return _clean(_PARSER.renderInline(text.strip()), INLINE_TAGS)
