"""Blocking entry points for commands (`ingest`, `reindex`, the worker): index, then return.

Each call finds its server the way the settings say (`MEILI_URL`, or the local one for
ARCHIVE_DATA_DIR, started and stopped around the call if nothing runs it) and waits for every
Meilisearch task, so when it returns the documents are searchable.

For the catalogue's `ingest`: store the webinar first, then call `index_webinar`; on
`SearchUnavailable` or `MeiliProcessError` (no server) keep the webinar and mark it
`index_pending`, for the next `reindex` to pick up. `SearchIndexError` means Meilisearch refused
the documents: its message is the one to show.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from server.search.documents import SegmentDocument
from server.search.index import INDEX_UID, IndexReport, connected_index
from server.search.process import MeiliConnection, meilisearch
from server.settings import Settings

__all__ = ["index_webinar", "rebuild_index"]

_Runner = Callable[[MeiliConnection], Coroutine[Any, Any, int]]


def index_webinar(
    settings: Settings,
    slug: str,
    documents: Iterable[SegmentDocument],
    *,
    connection: MeiliConnection | None = None,
    index_uid: str = INDEX_UID,
) -> IndexReport:
    """Replace webinar `slug`'s documents in the index with `documents` (none: remove it).

    Pass the catalogue's `iter_segment_documents(session, webinar_id)` flattened, or its list.
    """
    docs = [doc for doc in documents if doc.webinar == slug]

    async def run(conn: MeiliConnection) -> int:
        async with connected_index(conn, index_uid) as index:
            return await index.replace_webinar(slug, docs)

    return _timed(settings, connection, run)


def rebuild_index(
    settings: Settings,
    batches: Iterable[Sequence[SegmentDocument]],
    *,
    connection: MeiliConnection | None = None,
    index_uid: str = INDEX_UID,
) -> IndexReport:
    """Rebuild the whole index from `batches` (the catalogue is the source of truth).

    Built beside the live index and swapped in, so search keeps answering meanwhile.
    """

    async def run(conn: MeiliConnection) -> int:
        async with connected_index(conn, index_uid) as index:
            return await index.rebuild(batches)

    return _timed(settings, connection, run)


def _timed(
    settings: Settings,
    connection: MeiliConnection | None,
    run: _Runner,
) -> IndexReport:
    started = time.perf_counter()
    if connection is not None:
        count = asyncio.run(run(connection))
    else:
        with meilisearch(settings) as conn:
            count = asyncio.run(run(conn))
    return IndexReport(count, time.perf_counter() - started)
