"""The browse page's view model: every published webinar, newest first, a page at a time,
narrowed by topic, speaker, year and language.

Search finds what was said; browsing answers "what is there?", so the page lists the catalogue
itself (only listed webinars: `server.catalog.status.listed`). It works without JavaScript: the
filters are a plain GET form of selects plus removable links, and every state is a URL that can
be shared. Parameters are read by hand, like the search page's, so a bad one gets this page
with a message and a 400 rather than a JSON validation error; a page past the last redirects to
the last (pages.py), as search does, so an old link never dead-ends.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from sqlmodel import Session

from ingest.errors import InputError
from server.web import queries
from server.web.cache import WebinarCache

PER_PAGE: Final = 20
MAX_PAGE: Final = 10_000
"""Deeper than any archive goes; a larger page is refused before it reaches the database."""
FILTERS: Final = ("topic", "speaker", "year", "language")
_SLUG: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DIGITS: Final = re.compile(r"^[0-9]{1,5}$")
"""A page or a year: ASCII digits, short enough that int() never meets a 5,000-digit string."""
_LANGUAGE: Final = re.compile(r"^[a-z]{2,3}$")
LANGUAGE_NAMES: Final = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "da": "Danish",
    "sv": "Swedish",
    "no": "Norwegian",
    "nb": "Norwegian",
    "fi": "Finnish",
    "et": "Estonian",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "cs": "Czech",
    "sk": "Slovak",
    "sl": "Slovenian",
    "hr": "Croatian",
    "hu": "Hungarian",
    "ro": "Romanian",
    "bg": "Bulgarian",
    "el": "Greek",
    "ga": "Irish",
    "mt": "Maltese",
    "uk": "Ukrainian",
}
"""Names for the language filter; a code not listed here is shown as the code."""


class BrowsePageError(InputError):
    """A browse parameter the page refuses with 400 and this message."""


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code.upper())


def browse_params(query: Mapping[str, str]) -> dict[str, str]:
    """The browse state the URL carries: the filters and the page, empty values dropped (the
    form sends `topic=` for "All topics"); the last value of a repeated key wins."""
    out = {}
    for key in (*FILTERS, "page"):
        value = query.get(key)
        if value is not None and value.strip():
            out[key] = value.strip()
    return out


def read_filters(params: Mapping[str, str]) -> tuple[queries.BrowseFilters, int]:
    """The filters and page that `params` mean, or BrowsePageError saying which one is wrong.

    A well-formed value that matches nothing (a topic no webinar has any more) is no error: the
    page says that nothing matches and offers the way back.
    """
    for name in ("topic", "speaker"):
        value = params.get(name)
        if value is not None and (len(value) > 200 or not _SLUG.match(value)):
            raise BrowsePageError(f"{name}: expected a name from the list, got {value[:40]!r}")
    year_text = params.get("year")
    year = None
    if year_text is not None:
        if not _DIGITS.match(year_text) or not 1900 <= int(year_text) <= 2999:
            raise BrowsePageError(f"year: expected a year such as 2024, got {year_text[:20]!r}")
        year = int(year_text)
    language = params.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise BrowsePageError(f"language: expected a language code such as en, got {language[:20]!r}")
    page_text = params.get("page", "1")
    if not _DIGITS.match(page_text) or not 1 <= int(page_text) <= MAX_PAGE:
        raise BrowsePageError(f"page: expected a number from 1 to {MAX_PAGE}, got {page_text[:20]!r}")
    filters = queries.BrowseFilters(params.get("topic"), params.get("speaker"), year, language)
    return filters, int(page_text)


def browse_url(path: str, params: Mapping[str, str], **changes: str | None) -> str:
    """The browse page at `path` with `params` and `changes` applied (None removes a key)."""
    merged = {**params, **changes}
    clean = {k: merged[k] for k in (*FILTERS, "page") if merged.get(k)}
    return path + ("?" + urlencode(clean) if clean else "")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int | None
    """Listed webinars with this value (topics and speakers), None where it goes without saying."""
    selected: bool


@dataclass(frozen=True)
class Field:
    """One select of the filter form."""

    name: str
    label: str
    all_label: str
    options: list[Option]


@dataclass(frozen=True)
class ActiveFilter:
    """A filter in force, shown as a link that removes it."""

    label: str
    value: str
    remove_url: str


Choice = tuple[str, str, int | None]
"""A value a filter can take: (URL value, label, webinars with it)."""


def filter_choices(session: Session, cache: WebinarCache) -> dict[str, list[Choice]]:
    """Every value each filter can take, read once per catalogue version: topics most used
    first, speakers by name, years newest first, languages by code."""

    def build() -> dict[str, list[Choice]]:
        people = sorted(queries.speakers(session, limit=5000), key=lambda s: s.name.casefold())
        return {
            "topic": [(t.slug, t.name, t.webinars) for t in queries.topics(session)],
            "speaker": [(s.slug, s.name, s.webinars) for s in people],
            "year": [(str(y), str(y), None) for y in queries.years(session)],
            "language": [(c, language_name(c), None) for c in queries.languages(session)],
        }

    return cache.get_catalogue(queries.catalogue_version(session), "browse-filters", build)


LABELS: Final = {
    "topic": ("Topic", "All topics"),
    "speaker": ("Speaker", "All speakers"),
    "year": ("Year", "All years"),
    "language": ("Language", "All languages"),
}


def browse_context(
    session: Session,
    cache: WebinarCache,
    path: str,
    params: Mapping[str, str],
    filters: queries.BrowseFilters | None,
    page: int,
    error: str | None = None,
) -> dict[str, Any]:
    """Everything the browse page shows, in one unit of database work. With `error` (a bad
    parameter), the form alone, every filter cleared, and the message."""
    choices = filter_choices(session, cache)
    params = {k: v for k, v in params.items() if k in FILTERS and filters is not None}
    items: list[queries.BrowseItem] = []
    total = 0
    if filters is not None:
        items, total = queries.browse_webinars(session, filters, PER_PAGE, (page - 1) * PER_PAGE)
    pages = math.ceil(total / PER_PAGE)
    fields = []
    active = []
    for name in FILTERS:
        label, all_label = LABELS[name]
        value = params.get(name)
        options = [Option(v, text, count, v == value) for v, text, count in choices[name]]
        if value is not None and not any(o.selected for o in options):
            options.append(Option(value, value, 0, True))  # an old link's value: shown, chosen
        fields.append(Field(name, label, all_label, options))
        if value is not None:
            shown = next(o.label for o in options if o.selected)
            active.append(ActiveFilter(label, shown, browse_url(path, params, **{name: None})))
    return {
        "path": path,
        "items": items,
        "total": total,
        "page": page,
        "pages": pages,
        "prev_url": browse_url(path, params, page=str(page - 1) if page > 2 else None) if page > 1 else None,
        "next_url": browse_url(path, params, page=str(page + 1)) if page < pages else None,
        "fields": fields,
        "active": active,
        "error": error,
        "topic_url": functools.partial(_topic_url, path, params),
        "language_name": language_name,
    }


def _topic_url(path: str, params: Mapping[str, str], slug: str) -> str:
    """A card's topic: the list narrowed to it (the other filters kept, back to page 1)."""
    return browse_url(path, params, topic=slug, page=None)


def last_page_url(path: str, params: Mapping[str, str], pages: int) -> str:
    """Where a page past the last redirects: the last page (the first, when nothing matches)."""
    return browse_url(path, params, page=str(pages) if pages > 1 else None)
