"""Segment vectors in the catalogue (`segment_embedding`): stored once, refreshed when text changes.

The ingest's embedding stage computes every segment's vector (ingest/embeddings.py); storing the
transcript stores them here, so `webinar-archive reindex` and every re-index after an edit read
them instead of running the model. Before a webinar is indexed, `refresh_embeddings` embeds the
segments that have no vector of the current model for their current text: those of webinars
stored before search by meaning existed, those stored without the stage, and those whose text
staff corrected since (each row keeps the hash of the text it was made from). Only those few are
computed; the model is the process's one (`default_embedder`), loaded on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ingest import document as doc
from ingest.embeddings import (
    LANGUAGES,
    MODEL_NAME,
    Embedder,
    ModelFilesError,
    default_embedder,
    embed_segments,
    from_bytes,
    text_hash,
    to_bytes,
    transcript_vectors,
)
from server.catalog.models import Segment, SegmentEmbedding, Webinar

log = logging.getLogger(__name__)

REFRESH_BATCH = 256
"""Segments embedded and written per unit of work while refreshing."""


def store_vectors(session: Session, segment_ids: Sequence[int], transcript: doc.Transcript) -> int:
    """Store the transcript's vectors for its just-inserted segments (ids in transcript order).

    Nothing is stored when the transcript has none, or they are not for its current texts:
    `refresh_embeddings` computes them before indexing. Returns the rows written.
    """
    vectors = transcript_vectors(transcript)
    if vectors is None or len(segment_ids) != len(vectors):
        return 0
    rows = [
        {"segment_id": sid, "model": MODEL_NAME, "text_hash": text_hash(segment.text), "vector": to_bytes(v)}
        for sid, segment, v in zip(segment_ids, transcript.segments, vectors, strict=True)
    ]
    if rows:
        session.execute(insert(SegmentEmbedding), rows)
    return len(rows)


def stale_segments(session: Session, webinar_id: int | None = None) -> list[tuple[int, str]]:
    """(id, text) of the segments without a current vector: none, another model's, or made from
    another text; only in webinars in a language the model knows. Read a page at a time by id,
    plain columns only."""
    stale: list[tuple[int, str]] = []
    last = 0
    while True:
        query = (
            sa_select(
                col(Segment.id),
                col(Segment.text),
                col(SegmentEmbedding.model),
                col(SegmentEmbedding.text_hash),
            )
            .outerjoin(SegmentEmbedding, col(SegmentEmbedding.segment_id) == col(Segment.id))
            .join(Webinar, col(Webinar.id) == col(Segment.webinar_id))
            .where(col(Webinar.language).in_(sorted(LANGUAGES)))
            .where(col(Segment.id) > last)
            .order_by(col(Segment.id))
            .limit(5000)
        )
        if webinar_id is not None:
            query = query.where(col(Segment.webinar_id) == webinar_id)
        rows = session.execute(query).all()
        if not rows:
            return stale
        last = rows[-1][0]
        stale.extend(
            (sid, text)
            for sid, text, model, hashed in rows
            if model != MODEL_NAME or hashed != text_hash(text)
        )


def refresh_embeddings(
    session: Session, webinar_id: int | None = None, embedder: Embedder | None = None
) -> int:
    """Embed and store the stale segments of one webinar (or all); returns how many.

    Commits after each batch (the caller's session must not be inside a transaction of its own),
    so an interrupted refresh keeps what it did. Without the model installed, nothing is
    computed: the segments are indexed without vectors and found by their words only.
    """
    stale = stale_segments(session, webinar_id)
    session.rollback()  # end the read's transaction before writing
    if not stale:
        return 0
    try:
        model = embedder or default_embedder()
    except ModelFilesError as exc:
        log.warning("search by meaning is off for %d segments: %s", len(stale), exc)
        return 0
    for begin in range(0, len(stale), REFRESH_BATCH):
        chunk = stale[begin : begin + REFRESH_BATCH]
        vectors = embed_segments(model, [text for _, text in chunk])
        ids = [sid for sid, _ in chunk]
        with session.begin():
            session.execute(delete(SegmentEmbedding).where(col(SegmentEmbedding.segment_id).in_(ids)))
            session.execute(
                insert(SegmentEmbedding),
                [
                    {
                        "segment_id": sid,
                        "model": model.name,
                        "text_hash": text_hash(text),
                        "vector": to_bytes(v),
                    }
                    for (sid, text), v in zip(chunk, vectors, strict=True)
                ],
            )
    log.info("embedded %d segments", len(stale))
    return len(stale)


def webinar_vector(session: Session, slug: str, at: float | None = None) -> list[float] | None:
    """Where "related moments" look from: the whole-text vector of the segment said at second
    `at`, else the mean of every segment's (what the webinar is about); None without vectors."""
    query = (
        sa_select(col(Segment.start), col(Segment.end), col(SegmentEmbedding.vector))
        .join(SegmentEmbedding, col(SegmentEmbedding.segment_id) == col(Segment.id))
        .join(Webinar, col(Webinar.id) == col(Segment.webinar_id))
        .where(col(Webinar.slug) == slug, col(SegmentEmbedding.model) == MODEL_NAME)
        .order_by(col(Segment.start))
    )
    rows = session.execute(query).all()
    if not rows:
        return None
    if at is not None:
        said = [row for row in rows if row.start <= at] or rows[:1]
        whole = from_bytes(said[-1].vector)[0]
    else:
        whole = np.mean([from_bytes(row.vector)[0] for row in rows], axis=0)
    norm = float(np.linalg.norm(whole))
    if norm == 0.0:
        return None
    vector: list[float] = (whole / norm).tolist()
    return vector
