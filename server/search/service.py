"""Searching the segments index: a validated query in, hits ready to show (and to link) out.

The controller stays thin: it turns query-string parameters into a `SearchQuery` and returns
what `SearchService.search` gives. Everything a hit shows comes from the search document, so a
search never touches the database.

Highlighting is made safe here, not in templates: Meilisearch marks matches with two control
characters that transcripts never contain, the whole text is HTML-escaped, and only then are the
marks turned into `<mark>`/`</mark>`, balanced. A transcript saying `<script>` is shown as text.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any, Final

import httpx2
import msgspec

from ingest.document import SEGMENT_KINDS
from ingest.errors import InputError
from server.search.documents import date_ts
from server.search.index import (
    FACETS,
    MAX_TOTAL_HITS,
    SYNONYM_GROUPS,
    MeiliIndex,
    SearchIndexError,
    SearchUnavailable,
    quote_filter_value,
)

_PRE: Final = "\x02"
_POST: Final = "\x03"
_MARKS = re.compile("([\x02\x03])")
CROP_WORDS: Final = 32
"""Words of context shown around the match (segments are 20-80 words: most are shown whole)."""
MAX_QUERY_CHARS: Final = 500
PER_WEBINAR: Final = 3
"""Moments shown per webinar in grouped results."""

_RETRIEVE: Final = [
    "id",
    "webinar",
    "webinar_title",
    "date",
    "speaker",
    "kind",
    "chapter",
    "start",
    "end",
    "text",
]


def _long_form_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Spelled-out forms longer than three words, each with the abbreviation to search instead.

    Meilisearch matches synonyms on n-grams of at most three query words, so "small and
    medium-sized enterprises" (five tokens) never reaches its synonym "sme", while "sme" does
    find documents that spell it out. Rewriting the long form to its abbreviation before the
    search gives both directions (tests/integration/test_search.py checks them).
    """
    patterns = []
    for group in SYNONYM_GROUPS:
        for term in group:
            words = re.split(r"[\s-]+", term)
            if len(words) > 3:
                regex = r"\b" + r"[\s-]+".join(re.escape(w) for w in words) + r"\b"
                patterns.append((re.compile(regex, re.IGNORECASE), group[0]))
    return patterns


_LONG_FORMS: Final = _long_form_patterns()


def normalise_query(q: str) -> str:
    """The query Meilisearch receives: long spelled-out forms replaced by their abbreviation."""
    for pattern, abbreviation in _LONG_FORMS:
        q = pattern.sub(abbreviation, q)
    return q


MAX_OFFSET = MAX_TOTAL_HITS
"""Meilisearch returns nothing past the index's `maxTotalHits`, so a deeper offset is refused."""


class QueryError(InputError):
    """A search parameter the API must refuse with 400; the message is the reason."""


class SearchQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A search as the API receives it (after type conversion by the controller)."""

    q: str = ""
    webinar: str | None = None
    speaker: str | None = None
    kind: str | None = None
    topic: str | None = None
    project: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 20
    offset: int = 0
    group: str | None = None

    def validate(self) -> None:
        """Refuse what the type conversion lets through; each message is shown to the user."""
        if len(self.q) > MAX_QUERY_CHARS:
            raise QueryError(f"q: at most {MAX_QUERY_CHARS} characters")
        if self.kind is not None and self.kind not in SEGMENT_KINDS:
            raise QueryError(f"kind: expected one of {', '.join(SEGMENT_KINDS)}, got {self.kind!r}")
        if not 1 <= self.limit <= 100:
            raise QueryError("limit: expected a number from 1 to 100")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise QueryError(f"offset: expected a number from 0 to {MAX_OFFSET}")
        if self.group not in (None, "webinar"):
            raise QueryError(f"group: the only grouping is 'webinar', got {self.group!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("date_from: must not be after date_to")

    def filters(self) -> list[str]:
        """Meilisearch filter expressions, ANDed; every user value is quoted and escaped."""
        out: list[str] = []
        for field, value in (
            ("webinar", self.webinar),
            ("speaker", self.speaker),
            ("kind", self.kind),
            ("topics", self.topic),
            ("projects", self.project),
        ):
            if value is not None and value != "":
                out.append(f"{field} = {quote_filter_value(value)}")
        # Dates are converted to integers by us, never pasted from the request.
        if self.date_from is not None:
            out.append(f"date_ts >= {date_ts(self.date_from)}")
        if self.date_to is not None:
            out.append(f"date_ts <= {date_ts(self.date_to)}")
        return out


class WebinarRef(msgspec.Struct, frozen=True):
    slug: str
    title: str
    date: str | None


class Hit(msgspec.Struct):
    """One moment: where it is (webinar, start), what was said, and the link that plays it."""

    webinar: WebinarRef
    segment_id: int
    start: float
    end: float
    text: str
    highlight: str
    """Safe HTML: the (cropped) text escaped, with only <mark>...</mark> around matched words."""
    speaker: str | None
    kind: str
    chapter: str | None
    url: str
    """`/webinars/<slug>?t=<whole seconds, rounded down>`: lands on the start, never after it."""


class Group(msgspec.Struct):
    webinar: WebinarRef
    hits: list[Hit]


class Facets(msgspec.Struct):
    """Counts per value for the matches, most frequent first; `topic` and `webinar` included."""

    speaker: dict[str, int]
    kind: dict[str, int]
    topic: dict[str, int]
    webinar: dict[str, int]


class SearchResponse(msgspec.Struct, omit_defaults=True):
    query: str
    total: int
    """Matching segments (estimated by Meilisearch past 1,000); with group=webinar, webinars."""
    limit: int
    offset: int
    hits: list[Hit]
    """With group=webinar: the groups' hits in order, webinar after webinar."""
    facets: Facets
    groups: list[Group] | None = None
    """Only with group=webinar: the best webinars, each with its best moments."""


class _Formatted(msgspec.Struct):
    text: str = ""


class _RawHit(msgspec.Struct):
    id: int
    webinar: str
    webinar_title: str
    start: float
    end: float
    text: str
    kind: str
    date: str | None = None
    speaker: str | None = None
    chapter: str | None = None
    formatted: _Formatted | None = msgspec.field(default=None, name="_formatted")


class _RawResult(msgspec.Struct):
    hits: list[_RawHit]
    total: int = msgspec.field(default=0, name="estimatedTotalHits")
    facets: dict[str, dict[str, int]] = msgspec.field(default_factory=dict, name="facetDistribution")


class _RawMulti(msgspec.Struct):
    results: list[_RawResult]


_decode_result = msgspec.json.Decoder(_RawResult).decode
_decode_multi = msgspec.json.Decoder(_RawMulti).decode


def render_highlight(formatted: str) -> str:
    """Escape everything, then let only balanced <mark> pairs through (see module docstring)."""
    out: list[str] = []
    open_mark = False
    for part in _MARKS.split(formatted):
        if part == _PRE:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == _POST:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        elif part:
            out.append(html.escape(part, quote=True))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def _hit(raw: _RawHit) -> Hit:
    formatted = raw.formatted.text if raw.formatted is not None and raw.formatted.text else raw.text
    return Hit(
        webinar=WebinarRef(raw.webinar, raw.webinar_title, raw.date),
        segment_id=raw.id,
        start=raw.start,
        end=raw.end,
        text=raw.text,
        highlight=render_highlight(formatted),
        speaker=raw.speaker,
        kind=raw.kind,
        chapter=raw.chapter,
        url=f"/webinars/{raw.webinar}?t={max(0, int(raw.start))}",
    )


def _facets(distribution: dict[str, dict[str, int]]) -> Facets:
    return Facets(**{name: distribution.get(field, {}) for name, field in FACETS.items()})


def request_body(query: SearchQuery, filters: list[str], limit: int, offset: int) -> dict[str, Any]:
    """The body of Meilisearch's search request for `query` (also sent as is by bench/search.py)."""
    body: dict[str, Any] = {
        "q": normalise_query(query.q),
        "limit": limit,
        "offset": offset,
        "filter": filters,
        "attributesToRetrieve": _RETRIEVE,
        "attributesToHighlight": ["text"],
        "attributesToCrop": ["text"],
        "cropLength": CROP_WORDS,
        "cropMarker": "…",
        "highlightPreTag": _PRE,
        "highlightPostTag": _POST,
    }
    if not query.q.strip():
        # No words to rank by: browsing a filter shows the newest webinars, in talk order.
        body["sort"] = ["date_ts:desc", "start:asc"]
    return body


class SearchService:
    """Runs `SearchQuery`s against one index; the web app keeps one on app.state.

    An app whose Meilisearch could not be started or reached still has a service, built with
    `index=None` and the reason: every call raises `SearchUnavailable` with that reason, so
    handlers need no "is search configured?" branch of their own.
    """

    def __init__(
        self, index: MeiliIndex | None, unavailable: str = "the search index is not configured"
    ) -> None:
        self._index = index
        self.unavailable = unavailable

    @property
    def available(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> MeiliIndex:
        if self._index is None:
            raise SearchUnavailable(self.unavailable)
        return self._index

    async def _post(self, path: str, body: dict[str, Any]) -> bytes:
        """POST returning raw bytes, so msgspec decodes straight into typed structs."""
        try:
            response = await self.index.client.http_client.post(
                path, content=msgspec.json.encode(body), headers={"Content-Type": "application/json"}
            )
        except httpx2.HTTPError as exc:
            raise SearchUnavailable(
                f"Meilisearch at {self.index.client.http_client.base_url} does not answer "
                f"({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            error = msgspec.json.decode(response.content) if response.content else {}
            raise SearchIndexError(
                f"Meilisearch refused the search: {error.get('message', response.status_code)}",
                str(error.get("code", "")),
            )
        return response.content

    async def search(self, query: SearchQuery) -> SearchResponse:
        """Run one search (two requests with group=webinar); raises QueryError on bad input."""
        query.validate()
        filters = query.filters()
        uid = self.index.uid
        body = request_body(query, filters, query.limit, query.offset)
        body["facets"] = list(FACETS.values())
        if query.group == "webinar":
            body["distinct"] = "webinar"
        try:
            result = _decode_result(await self._post(f"indexes/{uid}/search", body))
        except SearchIndexError as exc:
            if exc.code == "index_not_found":  # nothing indexed yet: an empty archive, not an error
                result = _RawResult(hits=[])
            else:
                raise
        response = SearchResponse(
            query=query.q,
            total=result.total,
            limit=query.limit,
            offset=query.offset,
            hits=[_hit(h) for h in result.hits],
            facets=_facets(result.facets),
        )
        if query.group == "webinar":
            # Meilisearch's estimate counts segments even with `distinct`; the webinar facet has
            # one entry per matching webinar, exact up to maxValuesPerFacet (100).
            webinars = len(response.facets.webinar)
            response.total = webinars if webinars < 100 else max(webinars, result.total)
            response.groups = await self._groups(query, filters, [h.webinar for h in result.hits])
            response.hits = [hit for group in response.groups for hit in group.hits]
        return response

    async def _groups(self, query: SearchQuery, filters: list[str], slugs: list[str]) -> list[Group]:
        """The best moments of each webinar, in one multi-search request.

        The distinct query above ranked the webinars by their single best segment (and pages
        over webinars, so `offset` and `total` count webinars); one sub-query per webinar then
        fetches its best PER_WEBINAR moments with the same words and filters.
        """
        if not slugs:
            return []
        queries = []
        for slug in slugs:
            sub = request_body(query, [*filters, f"webinar = {quote_filter_value(slug)}"], PER_WEBINAR, 0)
            sub["indexUid"] = self.index.uid
            queries.append(sub)
        multi = _decode_multi(await self._post("multi-search", {"queries": queries}))
        groups = []
        for result in multi.results:
            hits = [_hit(h) for h in result.hits]
            if hits:
                groups.append(Group(webinar=hits[0].webinar, hits=hits))
        return groups
