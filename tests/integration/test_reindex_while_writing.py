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
import datetime as dt
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from ingest.document import Transcript, Word
from server.app import create_app
from server.catalog import leases
from server.catalog.db import Database, create_db_engine, session_scope, upgrade_database
from server.catalog.models import STATUS_READY, MaintenanceLease, Segment, Webinar, utcnow
from server.catalog.status import set_status
from server.catalog.store import store_transcript
from server.search.api import SearchPlugin
from server.search.documents import SegmentDocument, WebinarDocument
from server.search.index import MeiliIndex, open_client
from server.search.indexer import RebuildRunning, index_and_mark_ready, index_catalogue
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
        self,
        batches: Iterable[Sequence[SegmentDocument]],
        webinars: Iterable[WebinarDocument] | None = None,
        *,
        before_swap: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        def held() -> Iterator[Sequence[SegmentDocument]]:
            stream = iter(batches)
            yield next(stream)
            worker = threading.Thread(target=self.writer)
            worker.start()
            worker.join()  # the other "process" has stored and indexed before the rebuild goes on
            yield from stream

        return await super().rebuild(held(), webinars, before_swap=before_swap)


def _reindex_holding(meili: MeiliConnection, uid: str, engine: Engine, writer: Callable[[], None]) -> None:
    """A rebuild from the catalogue (`index_and_mark_ready`, as `reindex` runs it) that runs
    `writer` to its end once its first batch is read: in batches of two segments, the first is in
    hand and the rest not yet sent when `writer` comes."""

    async def run() -> None:
        client = open_client(meili, timeout=60.0)
        database = Database(engine, threads=1)
        index = WritesMidRebuild(client, uid)
        index.writer = writer
        try:
            await index_and_mark_ready(index, database, batch_size=2)
        finally:
            database.close()
            await client.aclose()

    asyncio.run(run())


def _search(meili: MeiliConnection, uid: str, q: str) -> set[str]:
    async def run() -> set[str]:
        client = open_client(meili)
        try:
            # Read as English, as the API reads a query (`service.query_locale`): left to
            # Meilisearch's detection, a lone name such as "gdansk" is read as another language
            # and found nowhere.
            body = {"q": q, "locales": ["eng"]}
            result = await MeiliIndex(client, uid).request("POST", f"indexes/{uid}/search", body)
        finally:
            await client.aclose()
        return {hit["webinar"] for hit in result["hits"]}

    return asyncio.run(run())


def _exists(meili: MeiliConnection, uid: str) -> bool:
    async def run() -> bool:
        client = open_client(meili)
        try:
            return await MeiliIndex(client, uid).exists()
        finally:
            await client.aclose()

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

    try:
        with TestClient(app=site) as web:
            _reindex_holding(meili_server, meili_index, engine, lambda: write_meanwhile(web))
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


def test_a_second_reindex_while_one_runs_is_refused_and_the_first_one_completes(
    meili_server: MeiliConnection, meili_index: str, tmp_path: Path
) -> None:
    """Two rebuilds of one index at once would build into the same side index and swap it in
    turn. The second (another `reindex`, or a worker that finds the index outdated) is refused
    with who holds the rebuild, before it embeds or touches anything; the first goes on to a
    complete index; and once it is done, the next rebuild runs."""
    settings = settings_for(tmp_path)
    engine = create_db_engine(settings.storage.database_url)
    upgrade_database(engine)
    _, harbour = _store(engine, "a", "Harbour electrification", "Shore power for ferries in Gdansk.")
    _, compost = _store(engine, "b", "Compost in schools", "Worms eat the kitchen scraps happily.")
    refused: list[BaseException] = []

    def second_reindex() -> None:
        try:
            index_catalogue(settings, engine, connection=meili_server, index_uid=meili_index)
        except BaseException as exc:
            refused.append(exc)

    try:
        _reindex_holding(meili_server, meili_index, engine, second_reindex)
        assert len(refused) == 1, refused
        assert isinstance(refused[0], RebuildRunning)
        message = str(refused[0])
        assert f"search index {meili_index!r} is being rebuilt by {socket.gethostname()[:60]}:" in message
        assert "try again when that rebuild ends" in message
        # The first rebuild was not disturbed: both webinars are searchable, and marked ready.
        assert _search(meili_server, meili_index, "gdansk ferries") == {harbour}
        assert _search(meili_server, meili_index, "worms scraps") == {compost}
        assert _search(meili_server, meili_index, "gdansk ferries") == {harbour}
        assert _search(meili_server, meili_index, "worms scraps") == {compost}
        with Session(engine) as session:
            assert {w.status for w in session.exec(select(Webinar))} == {"ready"}
            assert session.exec(select(MaintenanceLease)).all() == []  # released
        report = index_catalogue(settings, engine, connection=meili_server, index_uid=meili_index)
        assert report.webinars == 2  # the next one runs
    finally:
        engine.dispose()


def test_reindex_is_refused_while_another_process_holds_the_rebuild_and_runs_once_its_lease_runs_out(
    meili_server: MeiliConnection,
    meili_index: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A rebuild on another machine holds the lease: `reindex` says so in one line and exits 6
    (try again later), changing nothing. A rebuild whose process died leaves its lease behind;
    once it runs out, `reindex` takes it over without anyone clearing it by hand."""
    from server.cli import main

    settings = settings_for(tmp_path)
    engine = create_db_engine(settings.storage.database_url)
    upgrade_database(engine)
    _, harbour = _store(engine, "a", "Harbour electrification", "Shore power for ferries in Gdansk.")
    name, other = f"rebuild:{meili_index}", "search-2:4242:0badcafe"
    with Session(engine) as session:
        assert leases.take(session, name, other, 600)
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", settings.storage.database_url)
    monkeypatch.setenv("MEILI_URL", meili_server.url)
    monkeypatch.setenv("MEILI_MASTER_KEY", meili_server.api_key or "")
    monkeypatch.setenv("MEILI_INDEX", meili_index)
    try:
        assert main(["reindex"]) == 6
        err = capsys.readouterr().err
        refusal = f"webinar-archive: error: search index {meili_index!r} is being rebuilt by {other}"
        assert err.startswith(refusal)
        assert len(err.strip().splitlines()) == 1
        assert not _exists(meili_server, meili_index)  # nothing was built, not even a side index
        assert not _exists(meili_server, f"{meili_index}_tmp")
        with Session(engine) as session:
            assert [w.status for w in session.exec(select(Webinar))] == ["index_pending"]
            lease = session.get(MaintenanceLease, name)
            assert lease is not None
            lease.expires_at = utcnow() - dt.timedelta(seconds=1)  # its holder died; the lease ran out
            session.add(lease)
            session.commit()
        assert main(["reindex"]) == 0, capsys.readouterr().err
        assert _search(meili_server, meili_index, "gdansk ferries") == {harbour}
        with Session(engine) as session:
            assert session.exec(select(MaintenanceLease)).all() == []
    finally:
        engine.dispose()
