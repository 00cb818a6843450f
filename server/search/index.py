"""The Meilisearch index of transcript segments: its settings, and writing documents into it.

Rules from the design notes (docs/search.md explains each setting):

- settings are applied BEFORE any document is added: changing searchable or filterable attributes
  later makes Meilisearch re-index every document;
- documents go in batches of thousands, and we wait for Meilisearch's tasks, because a failed task
  is otherwise silent: the failure must reach the user with Meilisearch's own message;
- the index can always be rebuilt from the catalogue (`reindex`), into a side index that is then
  swapped in, so search keeps answering during a rebuild.

The hot paths (adding documents, searching) use the SDK client's HTTP connection pool directly
with msgspec-encoded bodies: converting 100,000 structs to dicts and back through pydantic models
costs more than Meilisearch's own work. Administrative calls use the same pool.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Final

import httpx2
import msgspec
from meilisearch_python_sdk import AsyncClient

from ingest.embeddings import DIMENSIONS
from ingest.errors import ArchiveError, UnavailableError
from server.search.documents import (
    EMBEDDER,
    SegmentDocument,
    WebinarAssembly,
    WebinarDocument,
    webinar_from_segments,
)
from server.search.process import MeiliConnection

INDEX_UID: Final = "segments"
PRIMARY_KEY: Final = "id"
BATCH_SIZE: Final = 5_000
"""Documents per request: thousands, since Meilisearch indexes a few large batches much faster
than many small ones; ~2-3 MB of JSON per request."""
MAX_PENDING_TASKS: Final = 8
"""Batches sent ahead of the one being waited for: Meilisearch merges queued additions into one
internal batch (auto-batching), which is much faster than one task at a time, while the window
keeps a 1M-segment rebuild from queueing gigabytes of payload at once."""
TASK_TIMEOUT_S: Final = 600.0

SEARCHABLE_ATTRIBUTES: Final = ("text", "text_de")
"""A moment matches on what was said (`text_de`: the same words again in a German webinar, read
as German, see LOCALIZED_ATTRIBUTES). The webinar-wide fields every segment repeats (title,
topics, affiliations) used to be searchable here too, and a topic query then returned every
segment of every webinar on that topic, with facet counts to match; they live in the webinar
documents now (WEBINAR_SEARCHABLE)."""

LOCALIZED_ATTRIBUTES: Final = ({"attributePatterns": ["text_de"], "locales": ["deu"]},)
"""German text is also indexed as German, where Meilisearch splits compounds into their words
("Landstromanlagen": land, strom, anlagen), so "Strom" or "Richtlinie" finds what was said as
"Landstromanlagen" or "Förderrichtlinie". German is the only language of the archive whose words
Meilisearch's tokenizer treats differently; the others read the same either way (measured:
French found the same declared as French or not). A copy and not `text` itself: `text`
declared in several languages is read per document by language detection, and English lines
taken for German were split ("databases": date, base), losing 878 of 9,912 hits of the English
word queries measured (docs/search.md, "Languages"). Queries are read as English unless a
language is chosen (`service.query_locale`)."""

WEBINAR_SEARCHABLE: Final = (
    "title",
    "topics",
    "key_messages",
    "chapters",
    "speaker",
    "projects",
    "affiliations",
    "resources",
    "summary",
    "description",
)
"""The webinar index's searchable fields, most telling first (the `attribute` ranking rule)."""

WEBINAR_SUFFIX: Final = "_webinars"
"""The webinar index of search index `<uid>` is `<uid>_webinars`, so a test's fresh uid, or a
rebuild's side index, carries its own pair."""

JOURNAL_SUFFIX: Final = "_rebuild_writes"
"""While index `<uid>` is rebuilt, `<uid>_rebuild_writes` lists the webinars written to the live
index meanwhile (see `MeiliIndex.journal_writes`)."""
JOURNAL_MARKER: Final = "_rebuilding"
"""The journal's document that says a rebuild is under way (a slug never starts with `_`)."""

STOP_WORDS: Final = (
    # English
    *("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from"),
    *("is", "are", "was", "were", "be", "been", "that", "this", "these", "those", "so", "than"),
    # German
    *("der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "und", "oder"),
    *("ist", "sind", "zu", "zum", "zur", "von", "mit", "im", "auf", "für", "dass"),
    # French
    *("le", "la", "les", "un", "une", "des", "du", "de", "et", "ou", "est", "sont", "au", "aux"),
    *("dans", "sur", "pour", "par", "avec", "que", "qui"),
)
"""Function words of the archive's languages, ignored when indexing and searching, so "the
export of the consortia" ranks on its content words. One list for the index: Meilisearch's stop
words are index-wide, and none of these is a content word in another of the languages. Left
out on purpose: "it" and "us" (IT, the US), "not" and "no" (they change a phrase's meaning)."""

EQUALITY_FILTERS: Final = ("webinar", "speaker", "kind", "topics", "projects", "language")
RANGE_FILTERS: Final = ("date_ts", "year")
SORTABLE_ATTRIBUTES: Final = ("date_ts", "start")
FACETS: Final = {
    "speaker": "speaker",
    "kind": "kind",
    "topic": "topics",
    "webinar": "webinar",
    "language": "language",
}
"""API facet name -> document field."""

SYNONYM_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    (
        "sme",
        "smes",
        "small and medium-sized enterprises",
        "small and medium sized enterprises",
        "small and medium enterprises",
    ),
    ("eu", "european union"),
    ("r&d", "research and development"),
    ("r&i", "research and innovation"),
    ("ngo", "ngos", "non-governmental organisation", "non-governmental organization"),
    ("gdpr", "general data protection regulation"),
    ("erdf", "european regional development fund"),
    ("esf", "esf+", "european social fund"),
    ("ai", "artificial intelligence"),
    ("ict", "information and communication technologies"),
    ("ppp", "public-private partnership"),
    ("cso", "civil society organisation", "civil society organization"),
    ("ris3", "smart specialisation strategy", "smart specialization strategy"),
    ("covid", "covid-19", "coronavirus"),
)
"""Abbreviations of EU project and regional-policy talk, with their spelled-out forms. Every
member of a group is a synonym of every other (both directions): a speaker says "SMEs", the user
types "small and medium-sized enterprises", or the reverse. Meilisearch does no stemming, hence
the plural forms."""


def synonyms() -> dict[str, list[str]]:
    """Meilisearch's synonym map: each term maps to all the others of its group (mutual)."""
    mapping: dict[str, list[str]] = {}
    for group in SYNONYM_GROUPS:
        for term in group:
            mapping[term] = [other for other in group if other != term]
    return mapping


def index_settings() -> dict[str, Any]:
    """The settings of the segments index, as Meilisearch's JSON (see docs/search.md)."""
    return {
        "searchableAttributes": list(SEARCHABLE_ATTRIBUTES),
        "displayedAttributes": ["*"],
        # Granular filterable attributes (Meilisearch >= 1.14): string fields only need equality,
        # numbers need ranges; no facet-search structures, since the API only needs facet counts.
        # Each feature left out is an index structure Meilisearch does not have to build.
        "filterableAttributes": [
            {
                "attributePatterns": list(EQUALITY_FILTERS),
                "features": {"facetSearch": False, "filter": {"equality": True, "comparison": False}},
            },
            {
                "attributePatterns": list(RANGE_FILTERS),
                "features": {"facetSearch": False, "filter": {"equality": True, "comparison": True}},
            },
        ],
        "sortableAttributes": list(SORTABLE_ATTRIBUTES),
        "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
        "typoTolerance": TYPO_TOLERANCE,
        "stopWords": list(STOP_WORDS),
        "synonyms": synonyms(),
        "localizedAttributes": [dict(rule) for rule in LOCALIZED_ATTRIBUTES],
        "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "facetSearch": False,
        # A search that runs longer than this returns what it has: at 1M segments a pathological
        # query must not hold a web worker for seconds.
        "searchCutoffMs": 500,
        # Proximity by attribute, not by word: segments are 20-80 words, so "both words in this
        # segment's text" is already most of the signal, while word-pair proximity is more than
        # half of the indexing time (measured: ~2x throughput, see docs/search.md). Phrase search
        # ("...") still checks exact word positions.
        "proximityPrecision": "byAttribute",
        "distinctAttribute": None,  # per query instead (`distinct=webinar` in grouped search)
        # Search by meaning: each document brings its segment's vector (`_vectors`, computed at
        # ingest by ingest/embeddings.py); Meilisearch only stores and searches them. The
        # experimental vector store is not used: it answered 500 to every vector search after a
        # second batch of documents (Meilisearch 1.21).
        "embedders": {EMBEDDER: {"source": "userProvided", "dimensions": DIMENSIONS}},
    }


MAX_TOTAL_HITS = 1000
"""Hits a query can page through: deeper pages of a transcript search are never read."""

TYPO_TOLERANCE: Final = {
    "enabled": True,
    # Meilisearch's defaults, on purpose: one typo from 5 letters, two from 9. Lower thresholds
    # make short words collide ("fund"/"find", "port"/"part"); the labelled query set
    # (bench/relevance.py) holds the choice to its figures.
    "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 8},
    # Years and figures are exact: "2021" must not find "2027" programmes.
    "disableOnNumbers": True,
    "disableOnWords": [],
    "disableOnAttributes": [],
}


def webinar_index_settings() -> dict[str, Any]:
    """The settings of the webinar index: the same filters, words and typos as the segments'."""
    return {
        "searchableAttributes": list(WEBINAR_SEARCHABLE),
        "displayedAttributes": ["*"],
        "filterableAttributes": [
            {
                "attributePatterns": [f for f in EQUALITY_FILTERS if f != "kind"],
                "features": {"facetSearch": False, "filter": {"equality": True, "comparison": False}},
            },
            {
                "attributePatterns": list(RANGE_FILTERS),
                "features": {"facetSearch": False, "filter": {"equality": True, "comparison": True}},
            },
        ],
        "sortableAttributes": ["date_ts"],
        "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
        "typoTolerance": TYPO_TOLERANCE,
        "stopWords": list(STOP_WORDS),
        "synonyms": synonyms(),
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "facetSearch": False,
        "searchCutoffMs": 500,
    }


def webinar_uid(uid: str) -> str:
    return uid + WEBINAR_SUFFIX


class SearchUnavailable(UnavailableError):
    """Meilisearch cannot be reached (down, wrong address, timeout): the app answers 503."""

    default_title = "Search is temporarily unavailable"
    retry_after = 10


class SearchIndexError(ArchiveError):
    """Meilisearch refused a request or a task failed; the message is Meilisearch's own."""

    status = 502
    default_title = "The search engine could not answer"

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class IndexOutdated(SearchIndexError):
    """The live index holds documents whose vectors come from another embedding model (or from
    none): Meilisearch cannot change a userProvided embedder under them, so the index must be
    rebuilt from the catalogue, which keeps every segment and embeds it with the current model."""

    def __init__(self, found: dict[str, Any]) -> None:
        described = ", ".join(f"{name} ({conf.get('dimensions')} dimensions)" for name, conf in found.items())
        super().__init__(
            f"the search index holds vectors of another model ({described or 'none'}; this release "
            f"uses {EMBEDDER}): rebuild it with `webinar-archive reindex` (nothing is lost: the "
            "catalogue keeps every segment); until then search by meaning is off",
            "index_outdated",
        )


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run did, for the CLI to print."""

    documents: int
    seconds: float
    webinars: int = 0
    """Webinars the documents belong to (when the run counted them)."""
    ready: int = 0
    """Webinars marked `ready` by the run: in step with the index."""

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0


def quote_filter_value(value: str) -> str:
    """A user's value as a Meilisearch filter literal: double-quoted, `\\` and `"` escaped.

    Meilisearch's filter parser unescapes backslash sequences inside a quoted value, so after this
    the value is one literal whatever it holds: `x" OR kind = "panel` stays a speaker name.
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


NO_COMPRESSION: Final = {"Accept-Encoding": "identity"}
"""Sent with every request to Meilisearch. httpx asks for gzip by default, and Meilisearch's
compressed responses arrive in pieces that meet TCP's delayed ACK: measured 44-48 ms for a
14 KB search answer on loopback, against 1.5 ms uncompressed (docs/search.md, "Latency")."""


def open_client(connection: MeiliConnection, timeout: float = 10.0) -> AsyncClient:
    """The SDK's async client for a connection (the web app keeps one on app.state)."""
    return AsyncClient(
        connection.url, connection.api_key, timeout=int(timeout) or 1, custom_headers=dict(NO_COMPRESSION)
    )


class MeiliIndex:
    """The search index on one server: two Meilisearch indexes, `<uid>` of segments (moments)
    and `<uid>_webinars` (one document per webinar); settings, batched writes that wait,
    swap-rebuilds of both at once.

    `uid` exists so tests can use a fresh index each and benchmarks can leave `segments` alone.

    Every write of a webinar's documents to the live index goes through `replace_webinar`, or
    calls `note_writes` first (a staff correction's few segments): a rebuild running at the same
    time, in this process or any other, then knows to send that webinar again after its swap.
    """

    def __init__(self, client: AsyncClient, uid: str = INDEX_UID) -> None:
        self.client = client
        self.uid = uid
        self._settled: set[str] = set()
        self.vectors_current = True
        """False once `ensure` found the live index's vectors to be of another model: the search
        service then answers by words only, rather than compare vectors of two models."""

    @property
    def webinars_uid(self) -> str:
        return webinar_uid(self.uid)

    # ---- low-level calls, with errors mapped to the two exceptions above --------------------

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call to Meilisearch; JSON in (msgspec-encoded) and JSON out."""
        content = None if body is None else msgspec.json.encode(body)
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = await self.client.http_client.request(method, path, content=content, headers=headers)
        except httpx2.HTTPError as exc:
            raise SearchUnavailable(
                f"Meilisearch at {self.client.http_client.base_url} does not answer ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            try:
                error = msgspec.json.decode(response.content)
                message, code = str(error.get("message", "")), str(error.get("code", ""))
            except (msgspec.DecodeError, AttributeError):
                message, code = response.text[:200], ""
            raise SearchIndexError(
                f"Meilisearch refused {method} {path}: {message or response.status_code}", code
            )
        return msgspec.json.decode(response.content) if response.content else None

    async def wait(self, task_uid: int, timeout: float = TASK_TIMEOUT_S) -> dict[str, Any]:
        """Wait for a task; a failed or canceled task raises with Meilisearch's message."""
        started = time.monotonic()
        deadline = started + timeout
        delay = 0.005
        while True:
            task: dict[str, Any] = await self.request("GET", f"tasks/{task_uid}")
            status = task.get("status")
            if status == "succeeded":
                return task
            if status in ("failed", "canceled"):
                error = task.get("error") or {}
                raise SearchIndexError(
                    f"Meilisearch task {task_uid} ({task.get('type')}) {status}: "
                    f"{error.get('message', 'no reason given')}",
                    str(error.get("code", "")),
                )
            if time.monotonic() > deadline:
                raise SearchIndexError(f"Meilisearch task {task_uid} did not finish within {timeout:.0f} s")
            await asyncio.sleep(delay)
            # A short task (a staff edit's one document: 0.2-1.2 s with vectors) is seen done
            # within ~0.1 s; a long one (a rebuild) is asked about at most four times a second.
            delay = min(delay * 2, 0.25, 0.05 + (time.monotonic() - started) / 20)

    async def enqueue(self, method: str, path: str, body: Any = None) -> int:
        info = await self.request(method, path, body)
        return int(info["taskUid"])

    # ---- index lifecycle ---------------------------------------------------------------------

    async def exists(self, uid: str | None = None) -> bool:
        try:
            await self.request("GET", f"indexes/{uid or self.uid}")
        except SearchIndexError as exc:
            if exc.code == "index_not_found":
                return False
            raise
        return True

    async def ensure(self, uid: str | None = None) -> None:
        """Create the segment index `uid` and its webinar index if missing and apply our settings;
        all waited for.

        Re-applying unchanged settings is a no-op for Meilisearch, so this runs at every start-up:
        a release that changes a setting updates existing indexes without a manual step.
        """
        uid = uid or self.uid
        if uid in self._settled:
            return
        for one, settings in ((uid, index_settings()), (webinar_uid(uid), webinar_index_settings())):
            found = await self.exists(one)
            if found and one == uid:
                await self._check_embedders(one, settings["embedders"])
            if not found:
                try:
                    await self.wait(
                        await self.enqueue("POST", "indexes", {"uid": one, "primaryKey": PRIMARY_KEY})
                    )
                except SearchIndexError as exc:
                    if exc.code != "index_already_exists":  # created meanwhile by another process
                        raise
            await self.wait(await self.enqueue("PATCH", f"indexes/{one}/settings", settings))
        self._settled.add(uid)

    async def _check_embedders(self, uid: str, wanted: dict[str, dict[str, Any]]) -> None:
        """Raise IndexOutdated if index `uid` holds documents embedded otherwise than `wanted`.

        Changing the embedder of an index with documents does not work in Meilisearch 1.21: a
        new embedder fails its settings task (the documents bring no vectors for it), and new
        dimensions for the same one are accepted while the old vectors stay and score as if
        comparable. An empty index just has its other embedders removed.
        """
        found = (await self.settings(uid)).get("embedders") or {}
        shape = {name: (conf.get("source"), conf.get("dimensions")) for name, conf in found.items()}
        if shape == {name: (conf["source"], conf["dimensions"]) for name, conf in wanted.items()}:
            return
        if await self.count(uid) > 0:
            if uid == self.uid:
                self.vectors_current = False
            raise IndexOutdated(found)
        stale = {name: None for name in found if name not in wanted}
        if stale:
            await self.wait(await self.enqueue("PATCH", f"indexes/{uid}/settings", {"embedders": stale}))

    async def drop(self, uid: str | None = None) -> None:
        """Delete the index pair if it exists (tests, and the side index of a failed rebuild)."""
        uid = uid or self.uid
        self._settled.discard(uid)
        for one in (uid, webinar_uid(uid)):
            try:
                await self.wait(await self.enqueue("DELETE", f"indexes/{one}"))
            except SearchIndexError as exc:
                if exc.code != "index_not_found":
                    raise

    async def count(self, uid: str | None = None) -> int:
        stats = await self.request("GET", f"indexes/{uid or self.uid}/stats")
        return int(stats["numberOfDocuments"])

    async def settings(self, uid: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", f"indexes/{uid or self.uid}/settings")
        return result

    # ---- writing ------------------------------------------------------------------------------

    async def add(
        self,
        batches: Iterable[Sequence[SegmentDocument]],
        *,
        uid: str | None = None,
        batch_size: int = BATCH_SIZE,
        first_tasks: Sequence[int] = (),
    ) -> int:
        """Add (or update, by id) documents in batches of `batch_size`, waiting for every task.

        `batches` may be any grouping (the catalogue yields its own); documents are regrouped so
        every request carries `batch_size` of them. Up to MAX_PENDING_TASKS requests are in
        Meilisearch's queue at once. Returns the number of documents added.
        """
        uid = uid or self.uid
        await self.ensure(uid)
        pending: deque[int] = deque(first_tasks)
        total = 0
        buffer: list[SegmentDocument] = []

        async def send(chunk: list[SegmentDocument]) -> None:
            path = f"indexes/{uid}/documents?primaryKey={PRIMARY_KEY}"
            pending.append(await self.enqueue("POST", path, chunk))
            while len(pending) > MAX_PENDING_TASKS:
                await self.wait(pending.popleft())

        for batch in batches:
            buffer.extend(batch)
            while len(buffer) >= batch_size:
                chunk, buffer = buffer[:batch_size], buffer[batch_size:]
                await send(chunk)
                total += len(chunk)
        if buffer:
            await send(buffer)
            total += len(buffer)
        while pending:
            await self.wait(pending.popleft())
        return total

    async def add_webinars(
        self, webinars: Iterable[WebinarDocument], *, uid: str | None = None, first_tasks: Sequence[int] = ()
    ) -> int:
        """Add (or update, by slug) webinar documents, in batches, waiting for every task."""
        uid = uid or self.uid
        await self.ensure(uid)
        pending: deque[int] = deque(first_tasks)
        total = 0
        batch: list[WebinarDocument] = []
        path = f"indexes/{webinar_uid(uid)}/documents?primaryKey={PRIMARY_KEY}"
        for webinar in webinars:
            batch.append(webinar)
            if len(batch) >= BATCH_SIZE:
                pending.append(await self.enqueue("POST", path, batch))
                total, batch = total + len(batch), []
        if batch:
            pending.append(await self.enqueue("POST", path, batch))
            total += len(batch)
        while pending:
            await self.wait(pending.popleft())
        return total

    async def replace_webinar(
        self,
        slug: str,
        documents: Iterable[SegmentDocument],
        webinar: WebinarDocument | None = None,
    ) -> int:
        """Make the index hold exactly `documents` and `webinar` for webinar `slug`.

        The old segments are deleted by filter (segment ids change when a webinar is re-ingested,
        so adding by id would leave stale ones), and the additions are queued right behind the
        deletion: Meilisearch runs an index's tasks in order, so searches see the old segments
        until the deletion and the new ones right after it (a short window without that webinar).
        Without `webinar`, one is assembled from the segments; with no segments the webinar's
        document is removed too (an unpublished webinar).
        """
        await self.ensure()
        await self.note_writes([slug])
        docs = list(documents)
        old = {"filter": f"webinar = {quote_filter_value(slug)}"}
        deletion = await self.enqueue("POST", f"indexes/{self.uid}/documents/delete", old)
        if webinar is None and docs:
            webinar = webinar_from_segments(docs)
        if webinar is not None and docs:
            await self.add_webinars([webinar])
        else:
            await self.wait(await self.enqueue("DELETE", f"indexes/{self.webinars_uid}/documents/{slug}"))
        return await self.add([docs], first_tasks=[deletion])

    # ---- writes during a rebuild ------------------------------------------------------------

    @property
    def journal_uid(self) -> str:
        return self.uid + JOURNAL_SUFFIX

    async def note_writes(self, slugs: Iterable[str]) -> None:
        """Before writing these webinars' documents to the live index: if a rebuild is under way,
        add them to its journal, so it sends them again once its index is live.

        Why this is enough, whichever process writes: a writer commits to the catalogue, then
        looks for the journal's marker, then writes. A writer that finds no marker committed
        before the rebuild set it, so before the rebuild began reading the catalogue: the new
        index has its change. A writer that finds it adds its webinars to the journal before its
        own write; Meilisearch runs tasks in the order they were queued, so a write that the swap
        would lose was queued, with its journal entry before it, ahead of the swap, and the
        rebuild reads the journal after the swap. Costs one small request per write.
        """
        wanted = sorted(set(slugs))
        if not wanted:
            return
        try:
            await self.request("GET", f"indexes/{self.journal_uid}/documents/{JOURNAL_MARKER}")
        except SearchIndexError as exc:
            if exc.code in ("index_not_found", "document_not_found"):
                return  # no rebuild under way
            raise
        path = f"indexes/{self.journal_uid}/documents?primaryKey={PRIMARY_KEY}"
        await self.wait(await self.enqueue("POST", path, [{PRIMARY_KEY: slug} for slug in wanted]))

    @asynccontextmanager
    async def journal_writes(self) -> AsyncIterator[None]:
        """While the block runs, writers record the webinars they write (`note_writes`);
        `journaled` reads them. The journal is a small Meilisearch index beside this one, so
        writers in every process and on every machine see it; it is emptied first (one left by a
        rebuild that died is stale) and deleted afterwards. A writer that adds an entry just
        after the deletion makes Meilisearch create the index again, without the marker: ignored,
        and cleared by the next rebuild. A journal that cannot be deleted (Meilisearch gone
        meanwhile) is left for the next rebuild too, so the rebuild's own error is the one shown.
        """
        await self._drop_journal()
        path = f"indexes/{self.journal_uid}/documents?primaryKey={PRIMARY_KEY}"
        await self.wait(await self.enqueue("POST", path, [{PRIMARY_KEY: JOURNAL_MARKER}]))
        try:
            yield
        finally:
            with suppress(ArchiveError):  # writers only note a little more until the next rebuild
                await self._drop_journal()

    async def journaled(self) -> list[str]:
        """The slugs written to the live index since `journal_writes` began."""
        slugs: list[str] = []
        offset, limit = 0, 1000
        while True:
            page = await self.request(
                "POST",
                f"indexes/{self.journal_uid}/documents/fetch",
                {"fields": [PRIMARY_KEY], "offset": offset, "limit": limit},
            )
            results = page.get("results", [])
            slugs.extend(str(doc[PRIMARY_KEY]) for doc in results if doc[PRIMARY_KEY] != JOURNAL_MARKER)
            offset += limit
            if len(results) < limit:
                return sorted(slugs)

    async def _drop_journal(self) -> None:
        try:
            await self.wait(await self.enqueue("DELETE", f"indexes/{self.journal_uid}"))
        except SearchIndexError as exc:
            if exc.code != "index_not_found":
                raise

    async def rebuild(
        self,
        batches: Iterable[Sequence[SegmentDocument]],
        webinars: Iterable[WebinarDocument] | None = None,
        *,
        before_swap: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Rebuild the whole index pair from `batches` and `webinars` without a moment of empty
        search (`webinars` None: assembled from the segments, for documents made elsewhere).

        Documents go into `<uid>_tmp` and its webinar index (settings applied first), which are
        then swapped with the live ones in one atomic Meilisearch task; the old contents, now
        under the `_tmp` names, are deleted. A failure leaves the live index untouched. Writes to
        the live index meanwhile (a webinar ingested, an edit) go with the old contents: a
        rebuild from the catalogue runs inside `journal_writes` and sends those webinars again
        after the swap (`server/search/indexer.py`). `before_swap` is awaited last before the
        swap: raising there leaves the live index as it was (the catalogue's rebuild lease).
        """
        side = f"{self.uid}_tmp"
        await self.drop(side)
        try:
            if webinars is None:
                assembled = WebinarAssembly()

                def collected() -> Iterator[Sequence[SegmentDocument]]:
                    for batch in batches:
                        assembled.add(batch)
                        yield batch

                count = await self.add(collected(), uid=side)
                await self.add_webinars(assembled.documents(), uid=side)
            else:
                count = await self.add(batches, uid=side)
                await self.add_webinars(webinars, uid=side)
            # The swap needs both indexes to exist; an outdated live one is replaced by the side
            # index, embedded anew.
            with suppress(IndexOutdated):
                await self.ensure(self.uid)
            if before_swap is not None:
                await before_swap()
            swaps = [
                {"indexes": [self.uid, side]},
                {"indexes": [self.webinars_uid, webinar_uid(side)]},
            ]
            await self.wait(await self.enqueue("POST", "swap-indexes", swaps))
            self._settled.add(self.uid)  # it now has the side index's settings: ours
            self.vectors_current = True
        finally:
            await self.drop(side)
        return count


@asynccontextmanager
async def connected_index(connection: MeiliConnection, uid: str = INDEX_UID) -> AsyncIterator[MeiliIndex]:
    """An index on a client that is closed afterwards (for the CLI and the benchmark)."""
    client = open_client(connection, timeout=60.0)
    try:
        yield MeiliIndex(client, uid)
    finally:
        await client.aclose()
