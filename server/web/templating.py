"""The site's one Jinja environment and the filters its templates use, registered once.

Autoescape is on everywhere and undefined names fail loudly; the two filters that return markup
(`highlight`, `json_ld`) escape everything except what they exist to pass through.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from server.search.service import MAX_QUERY_CHARS
from server.web import queries
from server.web.markdown import render_inline, render_markdown
from server.web.timecode import clock, iso_duration, url_seconds

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATE_DIR: Final = ROOT / "templates"
STATIC_DIR: Final = ROOT / "static"
KIND_LABELS: Final = {
    "intro": "Introduction",
    "presentation": "Presentation",
    "question": "Question",
    "answer": "Answer",
    "panel": "Panel",
    "other": "Other",
}
_HIGHLIGHT_PARTS: Final = re.compile(r"(</?mark>)")
TITLE_CHARS: Final = 80
"""The most of a visitor's text (a search query) a <title> or heading shows; the rest is elided."""


# --- the Jinja environment ------------------------------------------------------------------


def safe_highlight(value: str) -> Markup:
    """The search service's highlight, trusted only for `<mark>`: any other `<` or `>` is escaped.

    The service already escapes the text and adds balanced marks (server/search/service.py);
    checking again here means a future change there cannot smuggle markup into the page.
    """
    out = []
    for part in _HIGHLIGHT_PARTS.split(value):
        if part in ("<mark>", "</mark>"):
            out.append(part)
        else:
            out.append(part.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;"))
    return Markup("".join(out))


def as_date(value: dt.date | str | None) -> dt.date | None:
    """A date from what the pages hold: a `date` (catalogue), a `datetime`, or an ISO string
    (search hits carry the webinar's date as text); None for nothing or an unreadable string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def human_date(value: dt.date) -> str:
    """The site's one way of writing a date for people: "12 March 2024". Day, month in words,
    year: no reader can take it for 3 December, as "12/03/2024" can be on either side of the
    Atlantic, and the day has no leading zero. Pages, feeds and citations all use it."""
    return f"{value.day} {value.strftime('%B')} {value.year}"


def date_filter(value: dt.date | str | None, plain: bool = False) -> Markup | str:
    """`{{ d | date }}`: `<time datetime="2024-03-12">12 March 2024</time>`, the machine-readable
    date around the one human format; `date(plain=True)` is the text alone, for attributes,
    titles and text areas. Every template writes dates through this filter."""
    day = as_date(value)
    if day is None:
        return ""
    if plain:
        return human_date(day)
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), human_date(day))


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    """`text` on one line and at most `limit` characters, cut at a word where one is near, with
    an ellipsis: a query typed or pasted into a URL can be thousands of characters long, and a
    tab title, a heading or a bookmark cannot show that."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def json_ld(data: Any) -> Markup:
    """JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` escaped so no text
    inside (a title saying `</script>`) can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


MATCH_FIELDS: Final = {
    "title": "title",
    "topics": "topics",
    "chapters": "chapters",
    "speaker": "speakers",
    "projects": "projects",
    "affiliations": "speakers' affiliations",
    "resources": "documents",
    "description": "description",
    "key_messages": "key messages",
    "summary": "summary",
}
"""How a webinar-level field that matched a query is named on the search page."""


def template_environment() -> Environment:
    """The site's one Jinja environment: autoescape on, strict undefined, filters registered once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        clock=clock,
        iso_duration=iso_duration,
        url_seconds=url_seconds,
        kind_label=lambda kind: KIND_LABELS.get(kind, kind.title()),
        highlight=safe_highlight,
        slug=queries.person_slug,
        date=date_filter,
        json_ld=json_ld,
        shorten=shorten,
        match_field=lambda field: MATCH_FIELDS.get(field, field),
        markdown=render_markdown,
        markdown_inline=render_inline,
    )
    # Every search box's maxlength: the search service refuses longer queries (400).
    env.globals["max_query_chars"] = MAX_QUERY_CHARS
    return env
