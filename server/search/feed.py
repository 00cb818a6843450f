"""The search index's feed: the catalogue's webinars and segments as search documents.

The catalogue is the source of truth and the index is rebuilt from it, so this is the only way
documents are made from stored webinars (`webinar-archive reindex`, an ingest, the app's
start-up catch-up). A segment's speaker reads as on the webinar's page: the same helpers name it.
A segment carries its stored vectors (server/catalog/embeddings.py) when current, else null.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ingest.embeddings import MODEL_NAME, Vectors, from_bytes, text_hash
from server.catalog.models import Segment, SegmentEmbedding, Webinar, require_id
from server.catalog.reads import speaker_for, speaker_names, webinar_chapters, webinar_resources
from server.catalog.status import listed
from server.search.documents import (
    SegmentDocument,
    WebinarDocument,
    date_ts,
    encode_word_times,
    vector_field,
)


def iter_segment_documents(
    session: Session,
    webinar_id: int | None = None,
    batch_size: int = 5000,
    *,
    segment_ids: Collection[int] | None = None,
) -> Iterator[list[SegmentDocument]]:
    """Search documents for one webinar or all listed ones, in batches of at most `batch_size`
    (`segment_ids`: only those segments, for a staff edit of a few lines of a long webinar).

    Only webinars the public may see are yielded (published, stored in full), so an unpublished
    webinar yields nothing and the indexer should delete its documents. Segments are read with
    keyset pagination, so memory stays bounded however large the archive.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    query = select(Webinar).where(listed()).order_by(col(Webinar.id))
    if webinar_id is not None:
        query = query.where(Webinar.id == webinar_id)
    webinars = list(session.exec(query))
    batch: list[SegmentDocument] = []
    for webinar in webinars:
        wid = require_id(webinar)
        people, labels = speaker_names(session, wid)
        projects = sorted({p.project for p in people.values() if p.project})
        chapters = {c.id: c.title for c in webinar_chapters(session, wid)}
        date = webinar.date.isoformat() if webinar.date else None
        timestamp = date_ts(webinar.date) if webinar.date else None
        year = webinar.date.year if webinar.date else None
        last = -1
        while True:
            # Plain columns, not ORM objects: a read-only pass must not fill the identity map.
            rows = session.execute(
                sa_select(
                    col(Segment.id),
                    col(Segment.position),
                    col(Segment.person_id),
                    col(Segment.speaker_label),
                    col(Segment.kind),
                    col(Segment.chapter_id),
                    col(Segment.start),
                    col(Segment.end),
                    col(Segment.text),
                    col(Segment.words),
                    col(Segment.language),
                    col(SegmentEmbedding.model),
                    col(SegmentEmbedding.text_hash),
                    col(SegmentEmbedding.vector),
                )
                .outerjoin(SegmentEmbedding, col(SegmentEmbedding.segment_id) == col(Segment.id))
                .where(col(Segment.webinar_id) == wid)
                .where(col(Segment.id).in_(segment_ids) if segment_ids is not None else true())
                .where(col(Segment.position) > last)
                .order_by(col(Segment.position))
                .limit(batch_size)
            ).all()
            if not rows:
                break
            last = rows[-1].position
            for s in rows:
                speaker = speaker_for(s.person_id, s.speaker_label, people, labels)
                language = s.language or webinar.language  # a German question in an English talk: de
                batch.append(
                    SegmentDocument(
                        id=s.id,
                        webinar=webinar.slug,
                        webinar_title=webinar.title,
                        date=date,
                        date_ts=timestamp,
                        year=year,
                        topics=list(webinar.topics),
                        projects=projects,
                        language=language,
                        speaker=speaker,
                        kind=s.kind,
                        chapter=chapters.get(s.chapter_id) if s.chapter_id is not None else None,
                        start=s.start,
                        end=s.end,
                        text=s.text,
                        text_de=s.text if language == "de" else None,
                        times=encode_word_times(s.text, s.words or ()),
                        vectors=vector_field(_current_vector(s.model, s.text_hash, s.vector, s.text)),
                    )
                )
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    if batch:
        yield batch


def _current_vector(model: str | None, hashed: str | None, vector: bytes | None, text: str) -> Vectors | None:
    """The stored vectors if they are this model's and were made from the segment's current text."""
    if vector is None or model != MODEL_NAME or hashed != text_hash(text):
        return None
    return from_bytes(vector)


def webinar_documents(session: Session, webinar_id: int | None = None) -> Iterator[WebinarDocument]:
    """The webinar-level search documents of one webinar or all listed ones (as the segments)."""
    query = select(Webinar).where(listed()).order_by(col(Webinar.id))
    if webinar_id is not None:
        query = query.where(Webinar.id == webinar_id)
    for webinar in session.exec(query):
        wid = require_id(webinar)
        people, _ = speaker_names(session, wid)
        chapters = webinar_chapters(session, wid)
        first_turns: dict[int | None, float] = {
            person: start
            for person, start in session.execute(
                sa_select(col(Segment.person_id), func.min(col(Segment.start)))
                .where(col(Segment.webinar_id) == wid)
                .group_by(col(Segment.person_id))
            ).tuples()
        }
        speakers = sorted(people.values(), key=lambda p: p.name)
        yield WebinarDocument(
            id=webinar.slug,
            webinar=webinar.slug,
            title=webinar.title,
            description=webinar.description,
            date=webinar.date.isoformat() if webinar.date else None,
            date_ts=date_ts(webinar.date) if webinar.date else None,
            year=webinar.date.year if webinar.date else None,
            language=webinar.language,
            topics=list(webinar.topics),
            projects=sorted({p.project for p in people.values() if p.project}),
            speaker=[p.name for p in speakers],
            affiliations=[p.affiliation or "" for p in speakers],
            speaker_starts=[float(first_turns.get(p.id, -1.0)) for p in speakers],
            chapters=[c.title for c in chapters],
            chapter_starts=[c.start for c in chapters],
            resources=[r.title for r in webinar_resources(session, wid)],
            key_messages=list(webinar.key_messages),
            summary=webinar.summary,
        )
