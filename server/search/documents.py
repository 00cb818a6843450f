"""The search documents: one per transcript segment (a moment), one per webinar (its metadata).

A hit is rendered from its document alone (no database round trip), so a segment repeats the
webinar's title, date and topics, for display and filters; only what was said (`text`) is
searchable there. The webinar-level fields (title, topics, chapters, speakers, affiliations,
description) are searchable in the webinar's own document instead, with what staff wrote
beside the transcript (key messages, summary): they make the webinar match
without making every one of its segments a hit. Both are built from the catalogue (the source of
truth) and can always be rebuilt from it by `webinar-archive reindex`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from ingest.embeddings import MODEL_NAME

_EPOCH: Final = dt.date(1970, 1, 1)
EMBEDDER: Final = MODEL_NAME
"""The name of the segments index's embedder (userProvided vectors of ingest.embeddings' model):
the model's own, so an index embedded by another model is told apart (`MeiliIndex.ensure`)."""
VECTOR_DECIMALS: Final = 5
"""Decimals sent per vector component: ~8 characters each instead of ~20, cosine unchanged to 1e-5."""


VectorField = dict[str, list[list[float]] | None]


def no_vector() -> VectorField:
    """`_vectors` of a document without a vector: Meilisearch refuses a whole batch in which a
    document of an index with a userProvided embedder omits it; null opts the document out."""
    return {EMBEDDER: None}


def vector_field(vectors: npt.NDArray[np.float32] | Sequence[Sequence[float]] | None) -> VectorField:
    """`_vectors` of a document whose segment has vectors, one row per passage (Meilisearch ranks
    the document by its nearest), rounded (VECTOR_DECIMALS)."""
    if vectors is None or len(vectors) == 0:
        return no_vector()
    rounded: list[list[float]] = np.round(np.asarray(vectors, dtype=np.float64), VECTOR_DECIMALS).tolist()
    return {EMBEDDER: rounded}


def date_ts(date: dt.date) -> int:
    """A date as the index holds it (`date_ts`): days since 1970-01-01, a number to filter and sort."""
    return (date - _EPOCH).days


class SegmentDocument(msgspec.Struct, kw_only=True):
    id: int
    """The segment's primary key in the catalogue; Meilisearch's primary key too."""
    webinar: str
    """The webinar's slug (filter `webinar`, `distinct` for grouped results)."""
    webinar_title: str
    date: str | None
    """ISO date of the webinar, as shown."""
    date_ts: int | None
    """The date as days since 1970-01-01: Meilisearch filters and sorts numbers, not dates."""
    year: int | None
    topics: list[str]
    projects: list[str]
    """Projects of the webinar's speakers and resources (filter `project`)."""
    language: str
    speaker: str | None
    """The speaker's display name (or stable label such as "Speaker 3")."""
    kind: str
    chapter: str | None
    """The chapter's title."""
    start: float
    end: float
    text: str
    text_de: str | None = None
    """`text` again in a German segment (null otherwise), indexed as German: compounds split into
    their words (index.LOCALIZED_ATTRIBUTES). Searched, never retrieved."""
    times: str = ""
    """Where each word of `text` starts, in characters and seconds: `encode_word_times`. Shown
    nowhere and never searched: it turns a match position into the second the word is said."""
    vectors: VectorField = msgspec.field(default_factory=no_vector, name="_vectors")
    """What the segment means (search by meaning), under the embedder's name; null without one."""


class WebinarDocument(msgspec.Struct, kw_only=True):
    """A webinar's own search document: what the talk is about, not what was said in it."""

    id: str
    """The webinar's slug (Meilisearch's primary key; slugs are `[a-z0-9-]`)."""
    webinar: str
    """The slug again, under the name the segment filters use (`webinar = "..."`)."""
    title: str
    description: str | None = None
    date: str | None = None
    date_ts: int | None = None
    year: int | None = None
    language: str = "en"
    topics: list[str] = msgspec.field(default_factory=list)
    projects: list[str] = msgspec.field(default_factory=list)
    speaker: list[str] = msgspec.field(default_factory=list)
    """Speakers' display names: named `speaker` like the segments' field, so one filter fits both."""
    affiliations: list[str] = msgspec.field(default_factory=list)
    """Each speaker's affiliation ("" when unknown), in the order of `speaker`."""
    speaker_starts: list[float] = msgspec.field(default_factory=list)
    """When each speaker first speaks (-1 when never), in the order of `speaker`: a match on a
    speaker's name or affiliation lands where they speak."""
    chapters: list[str] = msgspec.field(default_factory=list)
    chapter_starts: list[float] = msgspec.field(default_factory=list)
    """Where each chapter starts: a match on a chapter's title lands on it."""
    resources: list[str] = msgspec.field(default_factory=list)
    """Titles of the documents linked to the webinar."""
    key_messages: list[str] = msgspec.field(default_factory=list)
    """Staff's key messages (Markdown, as written): a query matching one finds the webinar."""
    summary: str | None = None
    """Staff's summary (Markdown). The machine draft (`editorial_draft`) is never indexed."""


class WebinarAssembly:
    """Webinar documents assembled from streamed segment documents, for documents made outside
    the catalogue (benchmarks, tests), where the catalogue's feed cannot build the full ones.
    Keeps one small record per webinar, never the segments."""

    def __init__(self) -> None:
        self._webinars: dict[str, WebinarDocument] = {}

    def add(self, documents: Iterable[SegmentDocument]) -> None:
        for doc in documents:
            webinar = self._webinars.get(doc.webinar)
            if webinar is None:
                webinar = self._webinars[doc.webinar] = WebinarDocument(
                    id=doc.webinar,
                    webinar=doc.webinar,
                    title=doc.webinar_title,
                    date=doc.date,
                    date_ts=doc.date_ts,
                    year=doc.year,
                    language=doc.language,
                    topics=list(doc.topics),
                    projects=list(doc.projects),
                )
            if doc.speaker and doc.speaker not in webinar.speaker:
                webinar.speaker.append(doc.speaker)
                webinar.affiliations.append("")
                webinar.speaker_starts.append(doc.start)
            if doc.chapter is not None and doc.chapter not in webinar.chapters:
                webinar.chapters.append(doc.chapter)
                webinar.chapter_starts.append(doc.start)

    def documents(self) -> list[WebinarDocument]:
        return list(self._webinars.values())


def webinar_from_segments(documents: Sequence[SegmentDocument]) -> WebinarDocument:
    """One webinar's document assembled from its segment documents (see WebinarAssembly)."""
    assembly = WebinarAssembly()
    assembly.add(documents)
    return assembly.documents()[0]


def encode_word_times(text: str, words: Iterable[Sequence[Any]]) -> str:
    """`text`'s words as "offset:seconds" pairs, space-separated (e.g. "0:12.4 5:12.71").

    `words` are the segment's stored `[start, end, text, ...]` entries. Each word is looked for
    in `text` from where the previous one ended, ignoring case, so a word a corrector removed or
    changed is skipped rather than shifting every later one. A string, not a list of pairs: it is
    stored, never searched, and Meilisearch flattens arrays field by field.
    """
    folded = text.casefold()
    cursor = 0
    pairs: list[str] = []
    for word in words:
        token = str(word[2]).strip().casefold()
        if not token:
            continue
        at = folded.find(token, cursor)
        if at < 0:
            continue
        pairs.append(f"{at}:{float(word[0]):.2f}")
        cursor = at + len(token)
    return " ".join(pairs)


def decode_word_times(times: str) -> tuple[list[int], list[float]]:
    """The offsets (ascending) and start times of `encode_word_times`' pairs; bad pairs skipped."""
    offsets: list[int] = []
    seconds: list[float] = []
    for pair in times.split():
        offset, _, second = pair.partition(":")
        try:
            o, s = int(offset), float(second)
        except ValueError:
            continue
        if offsets and o < offsets[-1]:
            continue
        offsets.append(o)
        seconds.append(s)
    return offsets, seconds


def word_at(offsets: Sequence[int], char: int) -> int:
    """The index of the word that holds character `char` (the last word starting at or before it)."""
    return max(0, bisect.bisect_right(offsets, char) - 1)
