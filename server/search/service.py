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
import math
import re
from collections import OrderedDict
from typing import Any, Final
from urllib.parse import urlencode

import httpx2
import msgspec

from ingest.document import SEGMENT_KINDS
from ingest.errors import InputError
from server.search.documents import EMBEDDER, date_ts, decode_word_times, word_at
from server.search.index import (
    FACETS,
    MAX_TOTAL_HITS,
    SYNONYM_GROUPS,
    MeiliIndex,
    SearchIndexError,
    SearchUnavailable,
    quote_filter_value,
)
from server.search.meaning import QueryEmbedder, embed_query

_PRE: Final = "\x02"
_POST: Final = "\x03"
_MARKS = re.compile("([\x02\x03])")
CROP_WORDS: Final = 32
"""Words of context shown around the match (segments are 20-80 words: most are shown whole)."""
MAX_QUERY_CHARS: Final = 500
LOCALES: Final = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld",
    "pl": "pol", "sv": "swe", "da": "dan", "fi": "fin", "el": "ell", "cs": "ces", "hu": "hun",
    "ro": "ron", "bg": "bul", "hr": "hrv", "sk": "slk", "sl": "slv", "lt": "lit", "lv": "lav",
    "et": "est", "uk": "ukr", "ru": "rus", "tr": "tur",
}  # fmt: skip
"""ISO 639-1 -> the ISO 639-3 code Meilisearch takes as `locales`: with a language filter, the
query is segmented and normalised for that language rather than guessed from its few words."""
DEFAULT_LOCALE: Final = "eng"
"""How a query is read when no language is chosen. Never left to Meilisearch's guess: with a
field declared German in the index (`text_de`) it guessed German for English words and split
them ("webinar" found 4 of its 55 moments; docs/search.md, "Languages")."""
PER_WEBINAR: Final = 3
"""Moments shown per webinar in grouped results."""
LEAD_IN: Final = 1.0
"""Seconds a hit's link starts before its first matched word, so the listener hears it whole."""
CLUSTER_WORDS: Final = 8
"""A multi-word query lands on the densest run of its words within this many words of the text
(see `first_match_time`): "shore power guide" said together, not "power" said alone earlier."""
WEBINAR_WEIGHT: Final = 0.9
"""A webinar that matches by its metadata (title, topics, speakers...) ranks as if one of its
moments matched with this share of the metadata match's score: what was said comes first."""
BOTH_BONUS: Final = 0.25
"""Share of the weaker of the two scores added when a webinar matches both by metadata and by
what was said: the talk is about the topic and says it, so its moments rise above a passing
mention elsewhere."""

MODES: Final = ("keyword", "hybrid", "meaning")
"""How a query with words is matched: by its words only, by words and meaning (the default), or
by meaning only."""
DEFAULT_MODE: Final = "hybrid"
MEANING_HITS: Final = 10
"""Moments a search by meaning finds for a first page (a later page asks for as many as it
reaches, up to MEANING_MAX_HITS): its page, its groups, its total and its facets are all cut
from them. A vector search's cost grows with the neighbours it is asked for: at 100k segments
(300k vectors) the nearest 100 took 45 ms at the median and 630 ms at p95, the nearest 20 18
and 22 ms, the nearest 10 12 and 15 ms (docs/search.md). A question's useful answers are few."""
MEANING_MAX_HITS: Final = 100
MEANING_THRESHOLD = 0.61
"""`rankingScoreThreshold` of searches by meaning (not Final: bench/semantic.py tries others): a
hit whose score is below it is dropped.
Vector search always finds a nearest neighbour, however unrelated; this keeps questions about
things never said empty. Meilisearch scores a vector hit (1 + cosine) / 2, so this is a cosine
of 0.22. On the labelled set with USE multilingual (bench/semantic.py): 0.60 kept 11 of 12
never-said questions empty, 0.61 all 12, with recall at 3 of 0.89 and 0.84 (0.63: 0.79)."""
RELATED_THRESHOLD: Final = 0.66
"""The stricter threshold of "related moments" on the replay page: only close neighbours (a
cosine of 0.32 and more). USE's cosines run lower than MiniLM's, for which this was 0.4: the
interview on the EXPORTA export consortium and the demo's regional cooperation projects (the
interview as a whole against the demo's segments) are at 0.38, a question about bread at 0.19."""
RELATED_LIMIT: Final = 5

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
    "times",
    "language",
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


HEALTH_TIMEOUT_S: Final = 1.0
"""How long `/health` waits for Meilisearch: a server that is stopped refuses at once, one that
hangs must not hold the health check (a load balancer's probe) for the client's full timeout."""

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
    language: str | None = None
    """An ISO 639-1 code: moments of webinars in that language (and the query read in it)."""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 20
    offset: int = 0
    group: str | None = None
    mode: str = DEFAULT_MODE
    """`keyword`, `hybrid` or `meaning` (MODES); an empty query lists by date whatever the mode."""

    @property
    def by_meaning(self) -> bool:
        """Whether the meaning side takes part: a mode that asks for it, and words to embed."""
        return self.mode != "keyword" and bool(self.q.strip())

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
        if self.language is not None and not re.fullmatch(r"[a-z]{2}", self.language):
            raise QueryError(f"language: expected an ISO 639-1 code such as 'de', got {self.language[:20]!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("date_from: must not be after date_to")
        if self.mode not in MODES:
            raise QueryError(f"mode: expected one of {', '.join(MODES)}, got {self.mode[:20]!r}")

    def filters(self) -> list[str]:
        """Meilisearch filter expressions, ANDed; every user value is quoted and escaped."""
        out: list[str] = []
        for field, value in (
            ("webinar", self.webinar),
            ("speaker", self.speaker),
            ("kind", self.kind),
            ("topics", self.topic),
            ("projects", self.project),
            ("language", self.language),
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
    time: float
    """When the first matched word is said (the segment's start when no word time is known)."""
    text: str
    highlight: str
    """Safe HTML: the (cropped) text escaped, with only <mark>...</mark> around matched words."""
    speaker: str | None
    kind: str
    chapter: str | None
    url: str
    """`/webinars/<slug>?t=<whole seconds>&q=<query>`: `t` is about a second before `time` (never
    before the segment's start), so the replay opens on the words; `q` marks them there."""
    language: str | None = None
    """The language the moment is spoken in (ISO 639-1): the webinar's, or the segment's own where
    the ingest labelled it otherwise (a question asked in German in an English webinar)."""


class Group(msgspec.Struct):
    """One webinar in grouped results: its best moments, and why else it matched."""

    webinar: WebinarRef
    hits: list[Hit]
    moments: int = 0
    """How many of its moments match (the hits are the best of them)."""
    matched: list[str] = msgspec.field(default_factory=list)
    """Its own fields that match the query ("title", "topics", "speaker", "chapters"...)."""
    chapter: str | None = None
    """A chapter whose title matches, and where it starts (a link for metadata-only matches)."""
    chapter_start: float | None = None
    speaker: str | None = None
    """A speaker whose name or affiliation matches, and when they first speak."""
    speaker_start: float | None = None
    url: str = ""
    """Where the group's title links: its best moment, else the matching chapter, else where the
    matching speaker first speaks, else the start."""

    @property
    def more(self) -> int:
        return max(0, self.moments - len(self.hits))


class Facets(msgspec.Struct):
    """Counts per value for the matches, most frequent first; `topic` and `webinar` included."""

    speaker: dict[str, int]
    kind: dict[str, int]
    topic: dict[str, int]
    webinar: dict[str, int]
    language: dict[str, int] = msgspec.field(default_factory=dict)


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
    mode: str = DEFAULT_MODE
    match: str = "words"
    """What found the hits: `words`, or `meaning` (mode `meaning`, or `hybrid` when the words
    matched nothing)."""


class _Formatted(msgspec.Struct):
    text: str = ""


class _Match(msgspec.Struct):
    start: int
    """In UTF-8 bytes, as are `length` (Meilisearch's documented unit)."""
    length: int
    indices: list[int] | None = None
    """For an array field: which elements the match is in."""


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
    times: str = ""
    formatted: _Formatted | None = msgspec.field(default=None, name="_formatted")
    matches: dict[str, list[_Match]] | None = msgspec.field(default=None, name="_matchesPosition")
    score: float = msgspec.field(default=0.0, name="_rankingScore")
    language: str | None = None


class _RawResult(msgspec.Struct):
    hits: list[_RawHit]
    total: int = msgspec.field(default=0, name="estimatedTotalHits")
    facets: dict[str, dict[str, int]] = msgspec.field(default_factory=dict, name="facetDistribution")


class _RawBest(msgspec.Struct):
    """A webinar's best moment, as the distinct query returns it: only which, and how good."""

    webinar: str
    score: float = msgspec.field(default=0.0, name="_rankingScore")


class _RawBestResult(msgspec.Struct):
    hits: list[_RawBest]
    total: int = msgspec.field(default=0, name="estimatedTotalHits")


class _RawWebinar(msgspec.Struct):
    id: str
    title: str
    date: str | None = None
    chapters: list[str] = msgspec.field(default_factory=list)
    chapter_starts: list[float] = msgspec.field(default_factory=list)
    speaker: list[str] = msgspec.field(default_factory=list)
    speaker_starts: list[float] = msgspec.field(default_factory=list)
    matches: dict[str, list[_Match]] | None = msgspec.field(default=None, name="_matchesPosition")
    score: float = msgspec.field(default=0.0, name="_rankingScore")


class _RawWebinars(msgspec.Struct):
    hits: list[_RawWebinar]
    total: int = msgspec.field(default=0, name="estimatedTotalHits")


class _RawMulti(msgspec.Struct):
    results: list[_RawResult]


class _RawResults(msgspec.Struct):
    results: list[msgspec.Raw]
    """Undecoded: one multi-search may mix segment and webinar results."""


_decode_result = msgspec.json.Decoder(_RawResult).decode
_decode_best = msgspec.json.Decoder(_RawBestResult).decode
_decode_webinars = msgspec.json.Decoder(_RawWebinars).decode
_decode_multi = msgspec.json.Decoder(_RawMulti).decode
_decode_results = msgspec.json.Decoder(_RawResults).decode


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


def _char_offset(text: str, byte_offset: int) -> int:
    """Meilisearch gives match positions in UTF-8 bytes; Python strings count characters."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def first_match_time(text: str, times: str, matches: list[_Match] | None, fallback: float) -> float:
    """When the query's words are said in a segment: the start of its densest run of them.

    Each match position is mapped to the word that holds it (`times`, see documents.py). With one
    query word that is its first occurrence; with several, the first word of the run of
    CLUSTER_WORDS words that holds the most different query words, so a phrase said in the
    middle of a long paragraph is found where it is said whole. `fallback` (the segment's start)
    when nothing is known: no word times, or a match only in another field.
    """
    if not matches or not times:
        return fallback
    offsets, seconds = decode_word_times(times)
    if not offsets:
        return fallback
    found: list[tuple[int, str]] = []  # (word index, matched word, folded)
    for match in matches:
        char = _char_offset(text, match.start)
        token = text[char : _char_offset(text, match.start + match.length)].casefold()
        found.append((word_at(offsets, char), token))
    found.sort()
    best_word, best_count = found[0][0], 0
    for i, (word, _) in enumerate(found):
        distinct = {token for other, token in found[i:] if other < word + CLUSTER_WORDS}
        if len(distinct) > best_count:
            best_word, best_count = word, len(distinct)
    return seconds[best_word]


def moment_url(slug: str, second: int, q: str = "") -> str:
    """The replay at a whole second, carrying the query so the replay page marks the words."""
    params: dict[str, str | int] = {"t": second}
    if q.strip():
        params["q"] = q.strip()
    return f"/webinars/{slug}?{urlencode(params)}"


def _hit(raw: _RawHit, q: str) -> Hit:
    formatted = raw.formatted.text if raw.formatted is not None and raw.formatted.text else raw.text
    time = first_match_time(raw.text, raw.times, (raw.matches or {}).get("text"), raw.start)
    # About LEAD_IN before the words, but not into the previous line (whose words would play).
    second = max(0, math.floor(raw.start), math.floor(time - LEAD_IN))
    return Hit(
        webinar=WebinarRef(raw.webinar, raw.webinar_title, raw.date),
        segment_id=raw.id,
        start=raw.start,
        end=raw.end,
        time=time,
        text=raw.text,
        highlight=render_highlight(formatted),
        speaker=raw.speaker,
        kind=raw.kind,
        chapter=raw.chapter,
        url=moment_url(raw.webinar, second, q),
        language=raw.language,
    )


def _facets(distribution: dict[str, dict[str, int]]) -> Facets:
    return Facets(**{name: distribution.get(field, {}) for name, field in FACETS.items()})


def request_body(
    query: SearchQuery,
    filters: list[str],
    limit: int,
    offset: int,
    *,
    crop: bool = True,
) -> dict[str, Any]:
    """The body of Meilisearch's search request for `query` (also sent as is by bench/search.py).

    Every query word must match (`matchingStrategy: all`): Meilisearch's default drops words
    from the end until something matches, so a phrase never said came back as unrelated lines
    sharing one short word. Match positions come back to place the hit on its first word.
    """
    body: dict[str, Any] = {
        "q": normalise_query(query.q),
        "limit": limit,
        "offset": offset,
        "filter": filters,
        "matchingStrategy": "all",
        "attributesToRetrieve": _RETRIEVE,
        "attributesToHighlight": ["text"],
        "showMatchesPosition": True,
        "highlightPreTag": _PRE,
        "highlightPostTag": _POST,
    }
    if crop:
        body.update(attributesToCrop=["text"], cropLength=CROP_WORDS, cropMarker="…")
    body["showRankingScore"] = True
    if not query.q.strip():
        # No words to rank by: browsing a filter shows the newest webinars, in talk order.
        body["sort"] = ["date_ts:desc", "start:asc"]
    else:
        body["locales"] = [query_locale(query)]
    return body


def query_locale(query: SearchQuery) -> str:
    """The language a query's words are read in (Meilisearch's `locales`): the one chosen, else
    English (DEFAULT_LOCALE)."""
    return LOCALES.get(query.language or "", DEFAULT_LOCALE)


def meaning_body(body: dict[str, Any], vector: list[float]) -> dict[str, Any]:
    """`body` (a keyword search's) as a search by meaning: the nearest moments to the query's
    vector, those scoring below MEANING_THRESHOLD dropped. A moment found by meaning opens at
    its segment's start (no match positions asked: a word it shares with the question is not
    where the answer starts); the words it shares are still highlighted."""
    return {
        **body,
        "hybrid": {"embedder": EMBEDDER, "semanticRatio": 1.0},
        "vector": vector,
        "rankingScoreThreshold": MEANING_THRESHOLD,
        "showMatchesPosition": False,
    }


class _FacetHit(msgspec.Struct):
    id: int
    webinar: str = ""
    speaker: str | None = None
    kind: str | None = None
    topics: list[str] = msgspec.field(default_factory=list)
    language: str | None = None


class _FacetHits(msgspec.Struct):
    hits: list[_FacetHit]


_decode_facet_hits = msgspec.json.Decoder(_FacetHits).decode


def count_moments(raws: list[msgspec.Raw]) -> tuple[int, dict[str, dict[str, int]]]:
    """How many moments the counting searches found (each once), and their facet counts."""
    counts: dict[str, dict[str, int]] = {field: {} for field in FACETS.values()}
    seen: set[int] = set()
    for raw in raws:
        for hit in _decode_facet_hits(raw).hits:
            if hit.id in seen:
                continue
            seen.add(hit.id)
            values: dict[str, list[str]] = {
                "webinar": [hit.webinar],
                "speaker": [hit.speaker] if hit.speaker else [],
                "kind": [hit.kind] if hit.kind else [],
                "topics": hit.topics,
                "language": [hit.language] if hit.language else [],
            }
            for field, found in values.items():
                for value in found:
                    counts[field][value] = counts[field].get(value, 0) + 1
    ordered = {field: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for field, c in counts.items()}
    return len(seen), ordered


def _webinar_body(query: SearchQuery, filters: list[str], limit: int) -> dict[str, Any]:
    """The webinar-level search: the same words and filters, against the webinars' own fields."""
    body = {
        "q": normalise_query(query.q),
        "limit": limit,
        "filter": filters,
        "matchingStrategy": "all",
        "attributesToRetrieve": [
            "id",
            "title",
            "date",
            "chapters",
            "chapter_starts",
            "speaker",
            "speaker_starts",
        ],
        "showMatchesPosition": True,
        "showRankingScore": True,
    }
    if query.language in LOCALES:
        body["locales"] = [LOCALES[query.language]]
    return body


class SearchService:
    """Runs `SearchQuery`s against one index; the web app keeps one on app.state.

    An app whose Meilisearch could not be started or reached still has a service, built with
    `index=None` and the reason: every call raises `SearchUnavailable` with that reason, so
    handlers need no "is search configured?" branch of their own.
    """

    def __init__(
        self,
        index: MeiliIndex | None,
        unavailable: str = "the search index is not configured",
        embed: QueryEmbedder | None = None,
    ) -> None:
        self._index = index
        self.unavailable = unavailable
        self.embed = embed if embed is not None else embed_query
        """Turns a query's words into its vector (None: search by words only)."""
        self.recent_related: OrderedDict[tuple[str, int | None], tuple[float, list[Hit]]] = OrderedDict()
        """Related moments recently shown, by (webinar, second), with when they were found: the
        replay page reuses them for a while (server/web/pages.py related_moments)."""

    async def _vector(self, query: SearchQuery) -> list[float] | None:
        """The query's vector, when it is to be searched by meaning and the index's vectors are of
        the model that embeds it (not while an index of another model awaits its rebuild)."""
        if not query.by_meaning or not self.index.vectors_current:
            return None
        return await self.embed(query.q)

    @property
    def available(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> MeiliIndex:
        if self._index is None:
            raise SearchUnavailable(self.unavailable)
        return self._index

    async def check(self, timeout: float = HEALTH_TIMEOUT_S) -> str | None:
        """Why search cannot answer right now, or None when Meilisearch answers its own health
        check. For `/health`: `available` only says a client was opened at start-up, and the
        server behind it may have stopped (or come back) since."""
        if self._index is None:
            return self.unavailable
        http = self._index.client.http_client
        try:
            response = await http.get("health", timeout=timeout)
        except httpx2.HTTPError as exc:
            return f"Meilisearch at {http.base_url} does not answer ({type(exc).__name__})"
        if response.status_code != 200:
            return f"Meilisearch at {http.base_url} answers its health check with {response.status_code}"
        return None

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
        """Run one search; raises QueryError on bad input.

        Flat (the API's default): moments, best first, with facets. Grouped (`group=webinar`,
        the search page): webinars, each with its best moments (see `_grouped`).

        Modes: `keyword` matches the words; `meaning` the query's vector (MEANING_THRESHOLD);
        `hybrid` (the default) the words, and when they match nothing at all (no moment, no
        webinar's own fields), the meaning: the response then says `match: "meaning"`. Words
        that are said are the most precise answer there is, and their results (counts, facets,
        metadata-only webinars, word-exact moments) stay what the keyword search gives; a
        question in other words, or words the recogniser misheard, is answered by meaning.
        Merging both rankings always was tried first: every word query then gained loosely
        related moments ("shore power" 5 moments became more, a topic never said listed
        moments), and a keyword hit with a typo fell under a threshold shared by both halves.
        """
        query.validate()
        if query.mode == "hybrid" and query.by_meaning:
            words = await self._search(msgspec.structs.replace(query, mode="keyword"))
            if words.hits or words.groups or not self.index.vectors_current:
                return msgspec.structs.replace(words, mode="hybrid")
            meaning = await self._search(msgspec.structs.replace(query, mode="meaning"))
            return msgspec.structs.replace(meaning, mode="hybrid", match="meaning")
        return await self._search(query)

    async def _search(self, query: SearchQuery) -> SearchResponse:
        filters = query.filters()
        vector = await self._vector(query)
        if vector is not None:
            return await self._by_meaning(query, filters, vector)
        if query.group == "webinar":
            return await self._grouped(query, filters)
        body = request_body(query, filters, query.limit, query.offset)
        body["facets"] = list(FACETS.values())
        try:
            result = _decode_result(await self._post(f"indexes/{self.index.uid}/search", body))
        except SearchIndexError as exc:
            if exc.code != "index_not_found":  # nothing indexed yet: an empty archive, not an error
                raise
            result = _RawResult(hits=[])
        return SearchResponse(
            query=query.q,
            total=result.total,
            limit=query.limit,
            offset=query.offset,
            hits=[_hit(h, query.q) for h in result.hits],
            facets=_facets(result.facets),
            mode=query.mode,
        )

    async def _by_meaning(
        self, query: SearchQuery, filters: list[str], vector: list[float]
    ) -> SearchResponse:
        """A search by meaning, flat or grouped, in one vector search: the nearest MEANING_HITS
        moments above the threshold (more for a later page), from which the
        page, the counts and the facets are all cut (Meilisearch's own counts of a vector search
        cover every document with a vector; and one vector search instead of the grouped search's
        dozen keeps a question's cost down). Its links open the moment without `q`: the replay
        page marks words, and these moments were found by meaning."""
        nearest = min(MEANING_MAX_HITS, query.offset + query.limit) if query.offset else MEANING_HITS
        body = meaning_body(request_body(query, filters, nearest, 0), vector)
        body["attributesToRetrieve"] = [*_RETRIEVE, "topics"]
        try:
            raw = await self._post(f"indexes/{self.index.uid}/search", body)
        except SearchIndexError as exc:
            if exc.code != "index_not_found":
                raise
            raw = b'{"hits": []}'
        found = _decode_result(raw).hits
        total, counted = count_moments([msgspec.Raw(raw)])
        start, end = query.offset, query.offset + query.limit
        if query.group != "webinar":
            hits = [_hit(h, "") for h in found[start:end]]
            return SearchResponse(
                query=query.q,
                total=total,
                limit=query.limit,
                offset=query.offset,
                hits=hits,
                facets=_facets(counted),
                mode=query.mode,
                match="meaning",
            )
        by_webinar: dict[str, list[_RawHit]] = {}
        for h in found:  # best first: a webinar ranks by its nearest moment
            by_webinar.setdefault(h.webinar, []).append(h)
        groups = []
        for slug in list(by_webinar)[start:end]:
            hits = [_hit(h, "") for h in by_webinar[slug][:PER_WEBINAR]]
            groups.append(
                Group(webinar=hits[0].webinar, hits=hits, moments=len(by_webinar[slug]), url=hits[0].url)
            )
        return SearchResponse(
            query=query.q,
            total=len(by_webinar),
            limit=query.limit,
            offset=query.offset,
            hits=[hit for group in groups for hit in group.hits],
            facets=_facets(counted),
            groups=groups,
            mode=query.mode,
            match="meaning",
        )

    async def moments(self, slug: str, q: str, limit: int = 200) -> list[Hit]:
        """Every moment of one webinar that matches `q`, in talk order, with whole highlighted
        text (for the replay page's marks and its timeline's ticks)."""
        query = SearchQuery(q=q, webinar=slug, limit=min(limit, 100))
        query.validate()
        body = request_body(query, query.filters(), limit, 0, crop=False)
        try:
            result = _decode_result(await self._post(f"indexes/{self.index.uid}/search", body))
        except SearchIndexError as exc:
            if exc.code != "index_not_found":
                raise
            return []
        return sorted((_hit(h, q) for h in result.hits), key=lambda hit: hit.start)

    async def related(self, vector: list[float], exclude: str, limit: int = RELATED_LIMIT) -> list[Hit]:
        """The moments of other webinars nearest in meaning to `vector` (a segment's, or a
        webinar's mean), best first; only those above RELATED_THRESHOLD, so a webinar on a topic
        nobody else spoke about shows none."""
        if not self.index.vectors_current:
            return []
        body: dict[str, Any] = {
            "q": "",
            "vector": vector,
            "hybrid": {"embedder": EMBEDDER, "semanticRatio": 1.0},
            "filter": [f"webinar != {quote_filter_value(exclude)}"],
            "limit": limit,
            "rankingScoreThreshold": RELATED_THRESHOLD,
            "attributesToRetrieve": _RETRIEVE,
        }
        try:
            result = _decode_result(await self._post(f"indexes/{self.index.uid}/search", body))
        except SearchIndexError as exc:
            if exc.code != "index_not_found":
                raise
            return []
        return [_hit(h, "") for h in result.hits]

    async def _multi(self, queries: list[dict[str, Any]]) -> list[msgspec.Raw]:
        """One multi-search request; an index not created yet answers as empty."""
        try:
            return _decode_results(await self._post("multi-search", {"queries": queries})).results
        except SearchIndexError as exc:
            if exc.code != "index_not_found":
                raise
            return [msgspec.Raw(b'{"hits": []}') for _ in queries]

    async def _grouped(self, query: SearchQuery, filters: list[str]) -> SearchResponse:
        """Webinars that match, best first, each with its best moments: two requests.

        The first multi-search asks, at once: the best moment of each webinar (`distinct`), the
        webinars whose own fields match (title, topics, speakers... in the webinar index), and
        the facet counts over every matching moment (a distinct search would count one moment per
        webinar). A webinar ranks by its best moment or its metadata match (WEBINAR_WEIGHT), and
        higher when both match (BOTH_BONUS); pages are cut from that merged order, so `offset`
        and `total` count webinars. The second fetches each listed webinar's best moments. A
        webinar that matches by its metadata only is listed with no moments (its title, a
        matching chapter), never by making all its segments hits.
        """
        uid = self.index.uid
        words = bool(query.q.strip())
        wanted = query.offset + query.limit
        distinct = request_body(query, filters, wanted, 0)
        distinct.update(indexUid=uid, distinct="webinar", showRankingScore=True)
        distinct["attributesToRetrieve"] = ["webinar"]
        for key in ("attributesToHighlight", "attributesToCrop", "showMatchesPosition"):
            distinct.pop(key, None)
        facets = {"indexUid": uid, "q": distinct["q"], "filter": filters, "limit": 0}
        facets.update(matchingStrategy="all", facets=list(FACETS.values()))
        if "locales" in distinct:  # the same words read the same way, or the counts differ
            facets["locales"] = distinct["locales"]
        queries = [distinct, facets]
        # Kinds are a property of moments: a webinar's metadata cannot match `kind = question`.
        metadata = words and query.kind is None
        if metadata:
            queries.append({"indexUid": self.index.webinars_uid, **_webinar_body(query, filters, wanted)})
        results = await self._multi(queries)
        best = _decode_best(results[0])
        counted = _decode_result(results[1])
        webinars = _decode_webinars(results[2]).hits if metadata else []

        scores: dict[str, float] = {}
        for hit in best.hits:
            scores[hit.webinar] = hit.score
        by_slug = {w.id: w for w in webinars}
        for webinar in webinars:
            said = scores.get(webinar.id)
            own = WEBINAR_WEIGHT * webinar.score
            scores[webinar.id] = max(own, said) + BOTH_BONUS * min(own, said) if said is not None else own
        if not words:  # browsing a filter: newest first, as the distinct search sorted them
            order = [hit.webinar for hit in best.hits]
        else:
            order = sorted(scores, key=lambda slug: -scores[slug])
        page = order[query.offset : query.offset + query.limit]
        moments_per_webinar = counted.facets.get("webinar", {})

        groups = await self._groups(query, filters, page, moments_per_webinar, by_slug)
        matched = set(moments_per_webinar) | set(by_slug)
        # The webinar facet is exact up to maxValuesPerFacet (100); past that, Meilisearch's
        # estimate of webinars with a matching moment is the better guess.
        total = len(matched) if len(moments_per_webinar) < 100 else max(len(matched), best.total)
        return SearchResponse(
            query=query.q,
            total=total,
            limit=query.limit,
            offset=query.offset,
            hits=[hit for group in groups for hit in group.hits],
            facets=_facets(counted.facets),
            groups=groups,
        )

    async def _groups(
        self,
        query: SearchQuery,
        filters: list[str],
        slugs: list[str],
        moments: dict[str, int],
        metadata: dict[str, _RawWebinar],
    ) -> list[Group]:
        """The best PER_WEBINAR moments of each webinar in `slugs`, in one multi-search request."""
        if not slugs:
            return []
        queries = []
        for slug in slugs:
            sub = request_body(query, [*filters, f"webinar = {quote_filter_value(slug)}"], PER_WEBINAR, 0)
            sub["indexUid"] = self.index.uid
            queries.append(sub)
        results = await self._multi(queries)
        groups = []
        for slug, raw in zip(slugs, results, strict=True):
            hits = [_hit(h, query.q) for h in _decode_result(raw).hits]
            own = metadata.get(slug)
            if not hits and own is None:
                continue  # removed between the two requests
            ref = (
                hits[0].webinar
                if hits
                else WebinarRef(slug, own.title if own else slug, own.date if own else None)
            )
            group = Group(webinar=ref, hits=hits, moments=moments.get(slug, len(hits)))
            if own is not None:
                group.matched = sorted((own.matches or {}).keys())
                group.chapter, group.chapter_start = _matching_element(
                    own, "chapters", own.chapters, own.chapter_starts
                )
                group.speaker, group.speaker_start = _matching_speaker(own)
            if hits:
                group.url = hits[0].url
            else:
                start = group.chapter_start if group.chapter_start is not None else group.speaker_start
                group.url = moment_url(slug, max(0, math.floor(start or 0)), query.q)
            groups.append(group)
        return groups


def _matching_element(
    webinar: _RawWebinar, field: str, names: list[str], starts: list[float]
) -> tuple[str | None, float | None]:
    """The earliest element of array `field` that matched, with its start (Meilisearch's match
    positions name the element: `indices`); elements with no start (-1) are skipped."""
    found = {i for match in (webinar.matches or {}).get(field, []) for i in match.indices or ()}
    valid = [i for i in found if i < min(len(names), len(starts)) and starts[i] >= 0]
    if not valid:
        return None, None
    first = min(valid, key=lambda i: starts[i])
    return names[first], starts[first]


def _matching_speaker(webinar: _RawWebinar) -> tuple[str | None, float | None]:
    """A speaker whose name, else whose affiliation, matched (the lists are aligned)."""
    for field in ("speaker", "affiliations"):
        name, start = _matching_element(webinar, field, webinar.speaker, webinar.speaker_starts)
        if name is not None:
            return name, start
    return None, None
