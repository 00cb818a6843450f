"""`reindex` while other processes write: nothing written meanwhile is lost from the index.

The rebuild reads the catalogue into a side index and swaps it in. A webinar stored and indexed
by a worker, or a staff edit, that reaches the live index between the rebuild's read and its
swap used to go with the old index. Here the writes happen at exactly that moment: the rebuild
(real Meilisearch, real SQLite catalogue) is held after its first batch while another thread,
with its own client and event loop as another process would have, stores a webinar, edits a
segment of one the rebuild has already read, and deletes a third, each indexed the way the
worker and the web app index them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ingest.document import Transcript, Word
from server.catalog.corrections import edit_segment
from server.catalog.db import Database, create_db_engine, session_scope, upgrade_database
from server.catalog.models import Segment, Webinar
from server.catalog.store import store_transcript
from server.search.documents import SegmentDocument, WebinarDocument
from server.search.index import MeiliIndex, open_client
from server.search.indexer import index_and_mark_ready, index_catalogue, index_webinar
from server.search.process import MeiliConnection
from tests.factories import make_manifest, make_media_info, make_transcript
from tests.site_data import settings_for


def _transcript_saying(text: str) -> Transcript:
    transcript = make_transcript()
    first = transcript.segments[0]
    words = [
        Word(first.start + i * 0.5, first.start + i * 0.5 + 0.4, f" {w}", 0.9)
        for i, w in enumerate(text.split())
    ]
    segment = msgspec.structs.replace(first, text=text, words=words)
    return msgspec.structs.replace(transcript, segments=[segment, *transcript.segments[1:]])


def _store(engine: Engine, sha: str, title: str, text: str) -> tuple[int, str]:
    with session_scope(engine) as session, session.begin():
        webinar = store_transcript(
            session,
            make_media_info(f"{sha[:4]}.opus"),
            sha * 64,
            make_manifest(title),
            _transcript_saying(text),
        )
        assert webinar.id is not None
        return webinar.id, webinar.slug


class WritesMidRebuild(MeiliIndex):
    """The real index, with a hook: after the rebuild's first batch of documents has been read
    from the catalogue (and before its swap), `writer` runs to the end."""

    writer: Any = None

    async def rebuild(
        self, batches: Iterable[Sequence[SegmentDocument]], webinars: Iterable[WebinarDocument] | None = None
    ) -> int:
        def held() -> Iterator[Sequence[SegmentDocument]]:
            stream = iter(batches)
            yield next(stream)
            worker = threading.Thread(target=self.writer)
            worker.start()
            worker.join()  # the other "process" has stored and indexed before the rebuild goes on
            yield from stream

        return await super().rebuild(held(), webinars)


def _search(meili: MeiliConnection, uid: str, q: str) -> set[str]:
    async def run() -> set[str]:
        client = open_client(meili)
        try:
            result = await MeiliIndex(client, uid).request("POST", f"indexes/{uid}/search", {"q": q})
        finally:
            await client.aclose()
        return {hit["webinar"] for hit in result["hits"]}

    return asyncio.run(run())


def test_webinars_stored_edited_and_deleted_during_a_reindex_are_searchable_after_its_swap(
    meili_server: MeiliConnection, meili_index: str, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    engine = create_db_engine(settings.storage.database_url)
    upgrade_database(engine)
    edited_id, edited = _store(engine, "a", "Harbour electrification", "Shore power for ferries in Gdansk.")
    deleted_id, deleted = _store(engine, "b", "Compost in schools", "Worms eat the kitchen scraps happily.")
    index_catalogue(settings, engine, [edited_id, deleted_id], connection=meili_server, index_uid=meili_index)
    assert _search(meili_server, meili_index, "worms scraps") == {deleted}
    errors: list[BaseException] = []
    added: list[str] = []

    def write_meanwhile() -> None:  # what a worker and a member of staff do, in their own processes
        try:
            new_id, new = _store(engine, "c", "Quokka habitats", "Quokkas thrive on Rottnest Island.")
            index_catalogue(settings, engine, [new_id], connection=meili_server, index_uid=meili_index)
            added.append(new)
            with session_scope(engine) as session, session.begin():
                webinar = session.get(Webinar, edited_id)
                assert webinar is not None
                first = session.exec(
                    select(Segment).where(Segment.webinar_id == edited_id).order_by(col(Segment.start))
                ).first()
                assert first is not None
                assert first.id is not None
                edit_segment(session, webinar, first.id, "staff", text="Shore power for narwhal ferries.")
            index_catalogue(settings, engine, [edited_id], connection=meili_server, index_uid=meili_index)
            with session_scope(engine) as session, session.begin():  # as DELETE /api/webinars/{slug}
                session.delete(session.get(Webinar, deleted_id))
            index_webinar(settings, deleted, [], connection=meili_server, index_uid=meili_index)
            # the live index has all three writes now, before the swap
            assert _search(meili_server, meili_index, "narwhal") == {edited}
        except BaseException as exc:
            errors.append(exc)

    async def reindex() -> None:
        client = open_client(meili_server, timeout=60.0)
        database = Database(engine, threads=1)
        index = WritesMidRebuild(client, meili_index)
        index.writer = write_meanwhile
        try:
            # batches of two segments: the first is in hand, the rest not yet sent, when the writes come
            await index_and_mark_ready(index, database, batch_size=2)
        finally:
            database.close()
            await client.aclose()

    try:
        asyncio.run(reindex())
        assert errors == []
        assert added, "the writer did not run"
        assert _search(meili_server, meili_index, "quokkas rottnest") == set(added)  # stored meanwhile
        assert _search(meili_server, meili_index, "narwhal") == {edited}  # edited meanwhile
        assert _search(meili_server, meili_index, "worms scraps") == set()  # deleted meanwhile
        with Session(engine) as session:
            statuses = {w.slug: w.status for w in session.exec(select(Webinar))}
        assert statuses == {edited: "ready", added[0]: "ready"}
    finally:
        engine.dispose()
