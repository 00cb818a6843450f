"""Segment vectors in the catalogue, on SQLite and PostgreSQL: stored with the transcript, read
by the index's feed, embedded again only where the text changed, replaced on a re-ingest."""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from ingest.embeddings import DIMENSIONS, MODEL_NAME, embed_transcript
from server.catalog.embeddings import refresh_embeddings, webinar_vector
from server.catalog.models import Segment, SegmentEmbedding
from server.catalog.store import store_transcript
from server.search.documents import EMBEDDER
from server.search.feed import iter_segment_documents
from tests.factories import make_manifest, make_media_info, make_transcript


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
