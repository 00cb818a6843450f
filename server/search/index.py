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
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import httpx2
import msgspec
from meilisearch_python_sdk import AsyncClient

from ingest.errors import ArchiveError, UnavailableError
from server.search.documents import SegmentDocument
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

SEARCHABLE_ATTRIBUTES: Final = (
    "text",
    "chapter",
    "speaker",
    "webinar_title",
    "topics",
    "affiliation",
    "projects",
)
"""In order of importance (Meilisearch's `attribute` ranking rule prefers earlier fields): what
was said first, since a hit lands the user on that moment; then where in the talk (chapter),
who said it, and the webinar-wide fields that every segment of a webinar repeats."""

EQUALITY_FILTERS: Final = ("webinar", "speaker", "kind", "topics", "projects", "language")
RANGE_FILTERS: Final = ("date_ts", "year")
SORTABLE_ATTRIBUTES: Final = ("date_ts", "start")
FACETS: Final = {"speaker": "speaker", "kind": "kind", "topic": "topics", "webinar": "webinar"}
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
        "typoTolerance": {
            "enabled": True,
            # Meilisearch's defaults, on purpose: one typo from 5 letters, two from 9. Lower
            # thresholds make short words collide ("fund"/"find", "port"/"part").
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            # Years and figures are exact: "2021" must not find "2027" programmes.
            "disableOnNumbers": True,
            "disableOnWords": [],
            "disableOnAttributes": [],
        },
        "synonyms": synonyms(),
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
    }


MAX_TOTAL_HITS = 1000
"""Hits a query can page through: deeper pages of a transcript search are never read."""


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
    """The segments index on one server: settings, batched writes that wait, swap-rebuilds.

    `uid` exists so tests can use a fresh index each and benchmarks can leave `segments` alone.
    """

    def __init__(self, client: AsyncClient, uid: str = INDEX_UID) -> None:
        self.client = client
        self.uid = uid
        self._settled: set[str] = set()

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
        deadline = time.monotonic() + timeout
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
            delay = min(delay * 2, 0.25)

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
        """Create the index if missing and apply our settings; both waited for.

        Re-applying unchanged settings is a no-op for Meilisearch, so this runs at every start-up:
        a release that changes a setting updates existing indexes without a manual step.
        """
        uid = uid or self.uid
        if uid in self._settled:
            return
        if not await self.exists(uid):
            try:
                await self.wait(
                    await self.enqueue("POST", "indexes", {"uid": uid, "primaryKey": PRIMARY_KEY})
                )
            except SearchIndexError as exc:
                if exc.code != "index_already_exists":  # created meanwhile by another process
                    raise
        await self.wait(await self.enqueue("PATCH", f"indexes/{uid}/settings", index_settings()))
        self._settled.add(uid)

    async def drop(self, uid: str | None = None) -> None:
        """Delete the index if it exists (tests, and the side index of a failed rebuild)."""
        uid = uid or self.uid
        self._settled.discard(uid)
        try:
            await self.wait(await self.enqueue("DELETE", f"indexes/{uid}"))
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

    async def replace_webinar(self, slug: str, documents: Iterable[SegmentDocument]) -> int:
        """Make the index hold exactly `documents` for webinar `slug`.

        The old documents are deleted by filter (segment ids change when a webinar is re-ingested,
        so adding by id would leave stale ones), and the additions are queued right behind the
        deletion: Meilisearch runs an index's tasks in order, so searches see the old segments
        until the deletion and the new ones right after it (a short window without that webinar).
        """
        await self.ensure()
        old = {"filter": f"webinar = {quote_filter_value(slug)}"}
        deletion = await self.enqueue("POST", f"indexes/{self.uid}/documents/delete", old)
        return await self.add([list(documents)], first_tasks=[deletion])

    async def rebuild(self, batches: Iterable[Sequence[SegmentDocument]]) -> int:
        """Rebuild the whole index from `batches` without a moment of empty search.

        Documents go into `<uid>_tmp` (settings applied first), which is then swapped with the live
        index in one atomic Meilisearch task; the old contents, now under `<uid>_tmp`, are deleted.
        A failure leaves the live index untouched. Writes to the live index during a rebuild
        (a webinar ingested meanwhile) are lost with the old contents: rerun `reindex` after.
        """
        side = f"{self.uid}_tmp"
        await self.drop(side)
        try:
            count = await self.add(batches, uid=side)
            await self.ensure(self.uid)  # the swap needs both indexes to exist
            await self.wait(await self.enqueue("POST", "swap-indexes", [{"indexes": [self.uid, side]}]))
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
