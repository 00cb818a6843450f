"""Segment vectors in the catalogue, on SQLite and PostgreSQL: stored with the transcript, read
by the index's feed, embedded again only where the text changed, replaced on a re-ingest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import msgspec
import numpy as np
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ingest.embeddings import DIMENSIONS, MODEL_NAME, Embedder, ProgressCallback, Vectors, embed_transcript
from server.catalog.db import Database
from server.catalog.embeddings import refresh_embeddings, webinar_vector
from server.catalog.models import Segment, SegmentEmbedding, require_id
from server.catalog.store import store_transcript
from server.search.documents import EMBEDDER
from server.search.feed import iter_segment_documents
from server.search.index import (
    IndexOutdated,
    IndexReport,
    connected_index,
    index_settings,
    webinar_index_settings,
    webinar_uid,
)
from server.search.indexer import index_and_mark_ready, index_catalogue
from server.search.process import MeiliConnection
from server.search.service import Hit, SearchQuery, SearchResponse, SearchService
from tests.factories import make_manifest, make_media_info, make_transcript
from tests.site_data import settings_for


def _rows(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(SegmentEmbedding)).one())


def test_vectors_are_stored_fed_refreshed_and_replaced(catalog_engine: Engine) -> None:
    transcript = embed_transcript(make_transcript())
    with Session(catalog_engine) as session, session.begin():
        webinar = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), transcript)
        webinar_id, slug = webinar.id, webinar.slug
    assert webinar_id is not None
    with Session(catalog_engine) as session:
        assert _rows(session) == len(transcript.segments)  # stored with the transcript
        assert refresh_embeddings(session, webinar_id) == 0  # nothing to compute again
        documents = [d for batch in iter_segment_documents(session, webinar_id) for d in batch]
        vectors = [d.vectors[EMBEDDER] for d in documents]
        assert all(v is not None and len(v) >= 1 and len(v[0]) == DIMENSIONS for v in vectors)
        whole = webinar_vector(session, slug)
        assert whole is not None
        assert abs(float(np.linalg.norm(whole)) - 1.0) < 1e-4

        # A line staff corrected: only that line is embedded again, and the feed sends the new one.
        segment = session.exec(select(Segment).where(col(Segment.webinar_id) == webinar_id)).first()
        assert segment is not None
        assert segment.id is not None
        segment_id = segment.id
        segment.text = "An entirely different sentence about violins and orchestras."
        session.add(segment)
        session.commit()
        fed = {d.id: d for batch in iter_segment_documents(session, webinar_id) for d in batch}
        assert fed[segment_id].vectors == {EMBEDDER: None}  # stale: not sent as if current
        assert refresh_embeddings(session, webinar_id) == 1
        fed = {d.id: d for batch in iter_segment_documents(session, webinar_id) for d in batch}
        assert fed[segment_id].vectors[EMBEDDER] is not None
        assert session.get(SegmentEmbedding, segment_id) is not None

    # The same recording ingested again: its segments and their vectors are replaced, not added.
    with Session(catalog_engine) as session, session.begin():
        store_transcript(session, make_media_info(), "a" * 64, make_manifest(), transcript)
    with Session(catalog_engine) as session:
        assert _rows(session) == len(transcript.segments)
        models = set(session.exec(select(SegmentEmbedding.model)).all())
        assert models == {MODEL_NAME}


def test_a_transcript_without_vectors_is_embedded_at_indexing(catalog_engine: Engine) -> None:
    transcript = make_transcript()  # stored before search by meaning, or without the stage
    with Session(catalog_engine) as session, session.begin():
        webinar = store_transcript(session, make_media_info(), "b" * 64, make_manifest(), transcript)
        webinar_id = webinar.id
    with Session(catalog_engine) as session:
        assert _rows(session) == 0
        assert refresh_embeddings(session, webinar_id) == len(transcript.segments)
        assert _rows(session) == len(transcript.segments)


def test_a_rebuild_waits_for_the_model_however_long_it_takes(
    catalog_engine: Engine, meili_server: MeiliConnection, meili_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedding is model time, not database time: a catalogue stored before search by meaning
    (100k segments take minutes) is embedded during `reindex` even though a unit of database
    work is bounded at a few seconds. The model here is the real one, held up for 2 s a batch."""
    original = Embedder.embed

    def slow_embed(self: Embedder, texts: Sequence[str], progress: ProgressCallback | None = None) -> Vectors:
        time.sleep(2.0)
        return original(self, texts, progress)

    monkeypatch.setattr(Embedder, "embed", slow_embed)
    transcript = make_transcript()  # no vectors yet
    with Session(catalog_engine) as session, session.begin():
        webinar = store_transcript(session, make_media_info(), "c" * 64, make_manifest(), transcript)
        webinar_id = require_id(webinar)
    database = Database(catalog_engine, threads=1, wait_timeout=0.5)  # units bounded at 1.5 s

    async def rebuild() -> IndexReport:
        async with connected_index(meili_server, meili_index) as index:
            await index.ensure()
            return await index_and_mark_ready(index, database, None)

    try:
        report = asyncio.run(rebuild())
    finally:
        database.close()
    assert report.documents == len(transcript.segments)
    with Session(catalog_engine) as session:
        assert _rows(session) == len(transcript.segments)
        assert refresh_embeddings(session, webinar_id) == 0  # all current


def test_an_index_embedded_by_another_model_is_rebuilt_never_mixed(
    catalog_engine: Engine, meili_server: MeiliConnection, meili_index: str, tmp_path: Path
) -> None:
    """After a model change the live index holds the old model's vectors, which Meilisearch
    would compare with the new model's questions as if alike. The index says so (IndexOutdated),
    searches fall back to words meanwhile, and the first command that indexes rebuilds it all
    from the catalogue, which loses nothing."""
    transcript = embed_transcript(make_transcript())
    with Session(catalog_engine) as session, session.begin():
        webinar = store_transcript(session, make_media_info(), "d" * 64, make_manifest(), transcript)
        webinar_id = require_id(webinar)
    old = "all-MiniLM-L6-v2"
    headers = {"Authorization": f"Bearer {meili_server.api_key}"}
    with httpx.Client(base_url=meili_server.url, headers=headers, timeout=30) as meili:

        def wait(response: httpx.Response) -> None:
            uid = response.json()["taskUid"]
            while (task := meili.get(f"/tasks/{uid}").json())["status"] not in ("succeeded", "failed"):
                time.sleep(0.05)
            assert task["status"] == "succeeded", task

        # The index as the release before made it: its settings, the old model's embedder.
        before = {**index_settings(), "embedders": {old: {"source": "userProvided", "dimensions": 3}}}
        for uid, settings in ((meili_index, before), (webinar_uid(meili_index), webinar_index_settings())):
            wait(meili.post("/indexes", json={"uid": uid, "primaryKey": "id"}))
            wait(meili.patch(f"/indexes/{uid}/settings", json=settings))
        with Session(catalog_engine) as session:
            fed = [
                msgspec.to_builtins(d) for batch in iter_segment_documents(session, webinar_id) for d in batch
            ]
        gone = {**fed[0], "id": 999_999, "webinar": "gone", "text": "A webinar deleted since."}
        old_docs = [{**doc, "_vectors": {old: [[1, 0, 0]]}} for doc in [*fed, gone]]
        wait(meili.post(f"/indexes/{meili_index}/documents", json=old_docs))

        async def while_outdated() -> tuple[bool, SearchResponse, list[Hit]]:
            async with connected_index(meili_server, meili_index) as index:
                with pytest.raises(IndexOutdated, match="webinar-archive reindex"):
                    await index.ensure()
                service = SearchService(index)
                answer = await service.search(SearchQuery(q="refurbished furniture", mode="meaning"))
                assert answer.hits, answer
                related = await service.related([0.1] * DIMENSIONS, exclude="x")
                return index.vectors_current, answer, related

        current, answer, related = asyncio.run(while_outdated())
        assert not current
        assert "refurbished furniture" in answer.hits[0].text  # found by its words
        assert related == []

        report = index_catalogue(
            settings_for(tmp_path),
            catalog_engine,
            [webinar_id],
            connection=meili_server,
            index_uid=meili_index,
        )
        assert report.documents == len(transcript.segments)
        embedders = meili.get(f"/indexes/{meili_index}/settings/embedders").json()
        assert embedders == {MODEL_NAME: {"source": "userProvided", "dimensions": DIMENSIONS}}
        assert meili.get(f"/indexes/{meili_index}/documents/999999").status_code == 404

    async def rebuilt() -> SearchResponse:
        async with connected_index(meili_server, meili_index) as index:
            return await SearchService(index).search(
                SearchQuery(q="buying second-hand desks", mode="meaning")
            )

    answer = asyncio.run(rebuilt())
    assert answer.match == "meaning"
    assert "refurbished furniture" in answer.hits[0].text
