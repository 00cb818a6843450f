"""Bringing the index in step with the catalogue, and blocking entry points for commands.

`index_and_mark_ready` is the one way webinars get into the index from the catalogue and are
marked `ready`: `ingest` (the webinar it stored), `reindex` (everything, rebuilt) and the app's
start-up catch-up (the webinars stored while Meilisearch was down) all call it. Commands reach it
through `index_catalogue`, which finds the server the way the settings say (`MEILI_URL`, or the
local one for ARCHIVE_DATA_DIR, started and stopped around the call if nothing runs it) and waits
for every Meilisearch task, so when it returns the documents are searchable.

For `ingest`: store the webinar first (committed), then index it; on `SearchUnavailable` or
`MeiliProcessError` (no server) keep the webinar, which stays `index_pending` for the next
`reindex` or start-up to pick up. `SearchIndexError` means Meilisearch refused the documents: its
message is the one to show. `RebuildRunning` means another process is rebuilding the same index
(one at a time, through a lease in the catalogue): a webinar left `index_pending` by it is picked
up by that rebuild if it was stored before the rebuild read the catalogue, else by the next
catch-up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from ingest.errors import UnavailableError
from server.catalog import leases
from server.catalog.db import Database, session_scope
from server.catalog.embeddings import refresh_embeddings
from server.catalog.models import STATUS_INDEX_PENDING, STATUS_READY, Webinar, require_id, utcnow
from server.catalog.status import set_status, webinars_with_status
from server.search.documents import SegmentDocument, WebinarDocument
from server.search.feed import iter_segment_documents, webinar_documents
from server.search.index import BATCH_SIZE, INDEX_UID, IndexOutdated, IndexReport, MeiliIndex, connected_index
from server.search.process import MeiliConnection, meilisearch
from server.settings import Settings

__all__ = [
    "RebuildRunning",
    "index_and_mark_ready",
    "index_catalogue",
    "index_webinar",
    "index_written",
    "pending_ids",
    "rebuild_index",
]

log = logging.getLogger(__name__)

_Runner = Callable[[MeiliConnection], Coroutine[Any, Any, int]]

REBUILD_LEASE_SECONDS: Final = 120.0
"""How long a rebuild's lease lasts unrenewed: a rebuild whose process died blocks the next one
for at most this long. Renewed every REBUILD_RENEW_SECONDS, so a catalogue read that holds the
event loop for a while (a batch of segments) never lets it run out."""
REBUILD_RENEW_SECONDS: Final = 20.0


class RebuildRunning(UnavailableError):
    """Another process is rebuilding this index: two rebuilds would build into the same side
    index and swap it in turn. Temporary: the other one ends, or its lease runs out."""

    default_title = "The search index is being rebuilt"
    retry_after = 60

    def __init__(self, uid: str, owner: str | None, since: dt.datetime | None) -> None:
        who = f" by {owner} since {since:%Y-%m-%d %H:%M:%S} UTC" if owner and since else ""
        super().__init__(
            f"search index {uid!r} is being rebuilt{who}; try again when that rebuild ends "
            f"(if its process died, its lease runs out within {REBUILD_LEASE_SECONDS:.0f} s)"
        )


class RebuildLeaseLost(UnavailableError):
    """The rebuild's lease ran out (its renewals failed for longer than the lease lasts) and
    another process may have taken it over: this rebuild stops before its swap."""


def _holder(session: Session, name: str) -> tuple[str, dt.datetime] | None:
    lease = leases.holder(session, name)
    return (lease.owner, lease.taken_at) if lease is not None else None


@asynccontextmanager
async def rebuild_lease(database: Database, uid: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Hold the catalogue's lease on rebuilding index `uid` while the block runs, or raise
    `RebuildRunning` at once. Yields a check to await just before the swap: it raises
    `RebuildLeaseLost` when the lease is no longer this rebuild's, so the live index is left as
    it is rather than swapped by two rebuilds."""
    name, owner = f"rebuild:{uid}", leases.new_owner()
    if not await database.run(leases.take, name, owner, REBUILD_LEASE_SECONDS):
        held = await database.run(_holder, name)
        raise RebuildRunning(uid, *(held or (None, None)))
    lost = asyncio.Event()

    async def renew() -> None:
        while True:
            await asyncio.sleep(REBUILD_RENEW_SECONDS)
            try:
                if not await database.run(leases.renew, name, owner, REBUILD_LEASE_SECONDS):
                    lost.set()
                    return
            except Exception as exc:  # the catalogue is briefly away: the lease outlasts a few misses
                log.warning("could not renew the lease on rebuilding %r: %s", uid, exc)

    async def still_held() -> None:
        if lost.is_set() or not await database.run(leases.renew, name, owner, REBUILD_LEASE_SECONDS):
            gone = f"the lease on rebuilding {uid!r} ran out; the live index is left as it was"
            raise RebuildLeaseLost(gone)

    renewing = asyncio.create_task(renew())
    try:
        yield still_held
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing
        try:
            await database.run(leases.release, name, owner)
        except Exception as exc:  # it runs out on its own
            log.warning("could not release the lease on rebuilding %r: %s", uid, exc)


def pending_ids(session: Session) -> list[int]:
    """The webinars stored but not yet in the index (`index_pending`), oldest first."""
    return [require_id(webinar) for webinar in webinars_with_status(session, STATUS_INDEX_PENDING)]


def _mark_ready(session: Session, webinar_ids: Sequence[int]) -> None:
    with session.begin():
        set_status(session, webinar_ids, STATUS_READY)


def _mark_ready_unless_changed(session: Session, webinar_id: int, seen: dt.datetime) -> bool:
    """Mark one webinar `ready` if it is still the version whose documents were sent (its
    `updated_at` is `seen`); a webinar changed meanwhile (an edit whose own indexing failed, a
    re-ingest) keeps its status, so the next catch-up sends its new documents."""
    with session.begin():
        result = session.execute(
            update(Webinar)
            .where(col(Webinar.id) == webinar_id, col(Webinar.updated_at) == seen)
            .values(status=STATUS_READY, updated_at=utcnow())
        )
    return bool(getattr(result, "rowcount", 0))


def _documents(
    session: Session, webinar_id: int
) -> tuple[str, dt.datetime, list[SegmentDocument], WebinarDocument | None] | None:
    """The webinar's slug, version (`updated_at`) and search documents (none when unpublished);
    None when it is gone."""
    webinar = session.get(Webinar, webinar_id)
    if webinar is None:
        return None
    segments = [d for batch in iter_segment_documents(session, webinar_id) for d in batch]
    return webinar.slug, webinar.updated_at, segments, next(webinar_documents(session, webinar_id), None)


async def _refresh_vectors(database: Database, webinar_id: int | None = None) -> int:
    """`refresh_embeddings` on a thread of its own, with a session of its own.

    Not through `database.run`: that bounds a unit of database work at a few seconds so the site
    answers 503 rather than queue, but embedding is model time, not database time (a rebuild of a
    catalogue stored before search by meaning, or a long webinar's first vectors, takes minutes),
    and the refresh holds no connection while the model runs (it commits after each batch).
    """

    def refresh() -> int:
        with session_scope(database.engine) as session:
            return refresh_embeddings(session, webinar_id)

    return await asyncio.to_thread(refresh)


async def index_and_mark_ready(
    index: MeiliIndex,
    database: Database,
    webinar_ids: Iterable[int] | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> IndexReport:
    """Put webinars' segments from the catalogue into `index`, then mark the webinars `ready`.

    With `webinar_ids`, one webinar at a time: its documents replace the ones the index held for
    it (an unpublished webinar's are removed), and once Meilisearch has them the webinar is marked
    ready in a unit of work of its own, so a failure part-way leaves the rest `index_pending` for
    the next try; one that changed while its documents were on the way is not marked (the next
    catch-up sends the new ones). Without, the whole index is rebuilt from the catalogue (read
    `batch_size` segments at a time) beside the live one and swapped in; the webinars pending when the rebuild
    began are then marked ready. Webinars written to the live index while it was rebuilt (stored,
    edited, unpublished or deleted, by any process) are sent again from the catalogue once the new
    index is live (`index_written`).

    Segments without a vector for their current text (stored before search by meaning, or
    edited by staff since) are embedded and stored first (`refresh_embeddings`), so the documents
    carry every vector.

    Each unit of database work runs through `database`, except the rebuild's read, which streams
    on the calling thread while batches go out: that is for commands, and the app only ever
    indexes given webinars.
    """
    started = time.perf_counter()
    if webinar_ids is None:
        slugs: set[str] = set()

        def counted(batches: Iterator[list[SegmentDocument]]) -> Iterator[list[SegmentDocument]]:
            for batch in batches:
                slugs.update(doc.webinar for doc in batch)
                yield batch

        # One rebuild at a time, across processes: the lease is taken before anything else, so
        # a second `reindex` is refused before it embeds or touches the side index.
        async with rebuild_lease(database, index.uid) as still_held:
            pending = await database.run(pending_ids)
            await _refresh_vectors(database)  # only segments without a current vector
            # The journal starts before the catalogue is read: see MeiliIndex.note_writes for why
            # no write can then fall between the rebuild's read and its swap unseen.
            async with index.journal_writes():
                with session_scope(database.engine) as session:
                    whole = list(webinar_documents(session))
                    documents = await index.rebuild(
                        counted(iter_segment_documents(session, batch_size=batch_size)),
                        whole,
                        before_swap=still_held,
                    )
                await index_written(index, database, await index.journaled())
            await database.run(_mark_ready, pending)
        return IndexReport(documents, time.perf_counter() - started, webinars=len(slugs), ready=len(pending))
    documents = webinars = ready = 0
    for webinar_id in webinar_ids:
        await _refresh_vectors(database, webinar_id)  # new, or edited since: computed once
        found = await database.run(_documents, webinar_id)
        if found is None:
            continue  # deleted meanwhile: nothing to index or to mark
        slug, version, docs, webinar = found
        count = await index.replace_webinar(slug, docs, webinar)
        marked = await database.run(_mark_ready_unless_changed, webinar_id, version)
        log.info("indexed %s (%d segments)%s", slug, count, "" if marked else "; changed meanwhile")
        documents += count
        webinars += 1 if docs else 0
        ready += 1 if marked else 0
    return IndexReport(documents, time.perf_counter() - started, webinars=webinars, ready=ready)


def index_catalogue(
    settings: Settings,
    engine: Engine,
    webinar_ids: Iterable[int] | None = None,
    *,
    connection: MeiliConnection | None = None,
    index_uid: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> IndexReport:
    """`index_and_mark_ready` for a command: `webinar_ids`, or every webinar (a rebuild).

    `connection` overrides the settings (tests point it at their own server); `index_uid` too
    (default: the settings' MEILI_INDEX, as the site and the workers use).
    """
    uid = index_uid or settings.search.index_uid

    async def run(conn: MeiliConnection) -> IndexReport:
        database = Database(engine, threads=1)
        try:
            async with connected_index(conn, uid) as index:
                try:
                    return await index_and_mark_ready(index, database, webinar_ids, batch_size=batch_size)
                except IndexOutdated as exc:
                    if webinar_ids is None:
                        raise
                    # A command may rebuild (the app may not: see index_and_mark_ready), so the
                    # first ingest after a model change brings the whole index up to date.
                    log.warning("%s; rebuilding it now", exc)
                    return await index_and_mark_ready(index, database, None, batch_size=batch_size)
        finally:
            database.close()

    if connection is not None:
        return asyncio.run(run(connection))
    with meilisearch(settings) as conn:
        return asyncio.run(run(conn))


def index_webinar(
    settings: Settings,
    slug: str,
    documents: Iterable[SegmentDocument],
    *,
    connection: MeiliConnection | None = None,
    index_uid: str = INDEX_UID,
) -> IndexReport:
    """Replace webinar `slug`'s documents in the index with `documents` (none: remove it).

    For documents made elsewhere; webinars from the catalogue go in with `index_catalogue`.
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
    """Rebuild the whole index from `batches` (from the catalogue: `index_catalogue`).

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


def _ids_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, int]:
    rows = session.exec(select(Webinar.slug, Webinar.id).where(col(Webinar.slug).in_(slugs)))
    return {slug: webinar_id for slug, webinar_id in rows if webinar_id is not None}


async def index_written(index: MeiliIndex, database: Database, slugs: Sequence[str]) -> IndexReport:
    """After a rebuild's swap, send again the webinars written to the old live index meanwhile.

    The simplest design that loses nothing: writers keep writing to the live index as always and
    only note which webinars they wrote (`MeiliIndex.note_writes`); the rebuild reads the
    catalogue as it stands *now* for each of them, so whatever order the writes and the rebuild's
    read came in, the newest version wins. Writing to both indexes instead would race with the
    rebuild's own, older copy of the same webinar arriving later in the side index. A webinar
    no longer in the catalogue (deleted, or its slug changed) has its documents removed.
    """
    if not slugs:
        return IndexReport(0, 0.0)
    found = await database.run(_ids_by_slug, slugs)
    for slug in sorted(set(slugs) - found.keys()):
        await index.replace_webinar(slug, [])
    report = await index_and_mark_ready(index, database, sorted(found.values()))
    log.info("sent again %d webinars written during the rebuild", len(slugs))
    return report
