"""`reindex` while other processes write: nothing written meanwhile is lost from the index.

The rebuild reads the catalogue into a side index and swaps it in. A webinar stored and indexed
by a worker, or a staff edit, that reaches the live index between the rebuild's read and its
swap used to go with the old index. Here the writes happen at exactly that moment: the rebuild
(real Meilisearch, real SQLite catalogue) is held after its first batch while another thread,
with its own client and event loop as another process would have, stores and indexes a webinar
as a worker does, and, through the web app's API as staff do, corrects a segment of a webinar
the rebuild has already read and deletes another.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ingest.document import Transcript, Word
from server.app import create_app
from server.catalog.db import Database, create_db_engine, session_scope, upgrade_database
from server.catalog.models import STATUS_READY, Segment, Webinar
from server.catalog.status import set_status
from server.catalog.store import store_transcript
from server.search.api import SearchPlugin
from server.search.documents import SegmentDocument, WebinarDocument
from server.search.index import MeiliIndex, open_client
from server.search.indexer import index_and_mark_ready, index_catalogue
from server.search.process import MeiliConnection
from tests.factories import make_manifest, make_media_info, make_transcript
from tests.site_data import add_account, add_token, settings_for


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
    with Session(engine) as session, session.begin():
        set_status(session, [edited_id, deleted_id], STATUS_READY)  # as if indexed before (saves time)
    with Session(engine) as session:
        in_order = select(Segment.id).where(Segment.webinar_id == edited_id).order_by(col(Segment.start))
        segment_id = session.exec(in_order).first()
    add_account(settings, "editor@example.org", "a long enough password")
    staff = {"authorization": f"Bearer {add_token(settings, 'editor@example.org')}"}
    # The staff's web process, with its own client to the same index.
    site = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=meili_server, index_uid=meili_index)],
    )
    errors: list[BaseException] = []
    added: list[str] = []

    def write_meanwhile(web: TestClient[Litestar]) -> None:
        try:
            # A worker stores a new webinar and indexes it.
            new_id, new = _store(engine, "c", "Quokka habitats", "Quokkas thrive on Rottnest Island.")
            index_catalogue(settings, engine, [new_id], connection=meili_server, index_uid=meili_index)
            added.append(new)
            # Staff correct a segment of a webinar the rebuild has already read, and delete another.
            url = f"/api/webinars/{edited}/segments/{segment_id}"
            corrected = web.patch(url, json={"text": "Shore power for narwhal ferries."}, headers=staff)
            assert corrected.status_code == 200, corrected.text
            removed = web.delete(f"/api/webinars/{deleted}", headers=staff)
            assert removed.status_code == 200, removed.text
            assert removed.json()["index_cleared"] is True
            # The live index has all three writes now, before the swap.
            assert _search(meili_server, meili_index, "narwhal") == {edited}
        except BaseException as exc:
            errors.append(exc)

    async def reindex(web: TestClient[Litestar]) -> None:
        client = open_client(meili_server, timeout=60.0)
        database = Database(engine, threads=1)
        index = WritesMidRebuild(client, meili_index)
        index.writer = lambda: write_meanwhile(web)
        try:
            # batches of two segments: the first is in hand, the rest not yet sent, when the writes come
            await index_and_mark_ready(index, database, batch_size=2)
        finally:
            database.close()
            await client.aclose()

    try:
        with TestClient(app=site) as web:
            asyncio.run(reindex(web))
        assert errors == []
        assert added, "the writer did not run"
        assert _search(meili_server, meili_index, "quokkas rottnest") == set(added)  # stored meanwhile
        assert _search(meili_server, meili_index, "narwhal") == {edited}  # edited meanwhile
        assert _search(meili_server, meili_index, "gdansk") == set()  # (in its old text only)
        assert _search(meili_server, meili_index, "worms scraps") == set()  # deleted meanwhile
        webinars = f"{meili_index}_webinars"  # the webinars' own documents follow the same way
        assert _search(meili_server, webinars, "quokka habitats") == set(added)
        assert _search(meili_server, webinars, "compost schools") == set()
        with Session(engine) as session:
            statuses = {w.slug: w.status for w in session.exec(select(Webinar))}
        assert statuses == {edited: "ready", added[0]: "ready"}
    finally:
        engine.dispose()
