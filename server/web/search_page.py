"""The search page's view models: the URL's search state, the query it means, facets as links.

The page reads its parameters by hand (not through Litestar's typed parameters) so a bad one gets
the HTML page with a message and a 400, instead of a JSON validation error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from litestar import Request

from ingest.document import SEGMENT_KINDS
from ingest.errors import InputError
from server.search.service import DEFAULT_MODE, MODES, SearchQuery, SearchResponse
from server.web import queries
from server.web.browse import language_name
from server.web.templating import KIND_LABELS

RESULTS_PER_PAGE: Final = 10
"""Webinars per search page (each with its best moments)."""
MOMENTS_PER_PAGE: Final = 20
"""Moments per page when the search is filtered to one webinar: all of them, in pages."""
MAX_PAGE: Final = 100
_DIGITS: Final = re.compile(r"^[0-9]{1,4}$")
"""A page or a year: ASCII digits, short enough that int() never meets a 5,000-digit string."""


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]


FILTERS: Final = ("speaker", "kind", "topic", "webinar", "year", "language")
MODE_LABELS: Final = {
    "hybrid": "Words and meaning",
    "keyword": "These words only",
    "meaning": "Meaning only",
}
"""The search page's choice of `mode` (SearchQuery.mode), the default first."""


def search_url(path: str, params: Mapping[str, str], **changes: str | None) -> str:
    """The search page at `path` (its reversed route) with the query `params` and `changes`
    applied (None removes a key); empty values are dropped."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v}
    return path + ("?" + urlencode(clean) if clean else "")


def facet_links(
    path: str,
    name: str,
    label: str,
    counts: Mapping[str, int],
    params: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> Facet:
    values = []
    for value, count in counts.items():
        selected = params.get(name) == value
        values.append(
            FacetValue(
                value=value,
                label=(labels or {}).get(value, value),
                count=count,
                selected=selected,
                url=search_url(path, params, **{name: None if selected else value, "page": None}),
            )
        )
    return Facet(name, label, values)


def query_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The search state the URL carries: q, the filters and the page (last value wins)."""
    out = {}
    for key in ("q", *FILTERS, "page", "mode"):
        value = request.query_params.get(key)
        if value is not None and value.strip():
            out[key] = value.strip()
    return out


class SearchPageError(InputError):
    """A search parameter the page refuses with 400 and this message."""


def search_query(params: Mapping[str, str]) -> tuple[SearchQuery, int]:
    year_text = params.get("year")
    date_from = date_to = None
    if year_text is not None:
        if not _DIGITS.match(year_text) or not 1900 <= int(year_text) <= 2999:
            raise SearchPageError(f"year: expected a year such as 2024, got {year_text[:20]!r}")
        date_from, date_to = dt.date(int(year_text), 1, 1), dt.date(int(year_text), 12, 31)
    page_text = params.get("page", "1")
    if not _DIGITS.match(page_text) or int(page_text) < 1:
        raise SearchPageError(f"page: expected a number from 1 to {MAX_PAGE}, got {page_text[:20]!r}")
    page = min(int(page_text), MAX_PAGE)  # past the last page: the page redirects to the last
    one_webinar = bool(params.get("webinar"))
    per_page = MOMENTS_PER_PAGE if one_webinar else RESULTS_PER_PAGE
    language = params.get("language")
    if language is not None and not re.fullmatch(r"[a-z]{2}", language):
        raise SearchPageError(f"language: expected a code such as 'de', got {language[:20]!r}")
    kind = params.get("kind")
    if kind is not None and kind not in SEGMENT_KINDS:
        raise SearchPageError(f"kind: expected one of {', '.join(SEGMENT_KINDS)}, got {kind[:40]!r}")
    mode = params.get("mode", DEFAULT_MODE)
    if mode not in MODES:
        raise SearchPageError(f"mode: expected one of {', '.join(MODES)}, got {mode[:20]!r}")
    query = SearchQuery(
        mode=mode,
        q=params.get("q", ""),
        webinar=params.get("webinar"),
        speaker=params.get("speaker"),
        kind=kind,
        topic=params.get("topic"),
        language=language,
        date_from=date_from,
        date_to=date_to,
        limit=per_page,
        offset=(page - 1) * per_page,
        group=None if one_webinar else "webinar",
    )
    return query, page


def search_facets(
    path: str,
    result: SearchResponse,
    params: Mapping[str, str],
    labels: Mapping[str, queries.WebinarLabel],
) -> list[Facet]:
    """Facets as links to the search page at `path` that add or remove one filter; the year
    facet is summed from webinars."""
    year_counts: dict[str, int] = {}
    for slug, count in result.facets.webinar.items():
        label = labels.get(slug)
        if label is not None and label.date is not None:
            year = str(label.date.year)
            year_counts[year] = year_counts.get(year, 0) + count
    if "year" in params and params["year"] not in year_counts:
        year_counts[params["year"]] = 0
    years = dict(sorted(year_counts.items(), reverse=True))
    return [
        facet_links(path, "speaker", "Speaker", result.facets.speaker, params),
        facet_links(path, "kind", "Kind", result.facets.kind, params, KIND_LABELS),
        facet_links(path, "topic", "Topic", result.facets.topic, params),
        facet_links(
            path,
            "webinar",
            "Webinar",
            result.facets.webinar,
            params,
            {s: lab.title for s, lab in labels.items()},
        ),
        facet_links(path, "year", "Year", years, params),
        facet_links(
            path,
            "language",
            "Language",
            result.facets.language,
            params,
            {code: language_name(code) for code in result.facets.language},
        ),
    ]
