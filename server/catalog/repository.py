"""All the catalogue's SQL: storing an ingested transcript, reading webinars back, feeding the index.

Controllers and commands call these functions with a session they own; nothing here reads the
settings or the environment. Storing a webinar is one transaction (`store_transcript`), so an
ingest that fails at any point leaves no half webinar behind, and the recording's sha256 makes
a second ingest of the same bytes an update rather than a duplicate.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import msgspec
from sqlalchemy import delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ingest import document as doc
from ingest.metadata import Manifest
from ingest.probe import MediaInfo
from server.catalog.models import (
    STATUS_INDEX_PENDING,
    STATUS_READY,
    WEBINAR_STATUSES,
    Chapter,
    ChapterPublic,
    EditHistory,
    Person,
    Resource,
    ResourcePublic,
    Segment,
    SegmentPublic,
    SpeakerPublic,
    Webinar,
    WebinarPerson,
    WebinarPublic,
    WebinarSummary,
    WebinarUpdate,
    utcnow,
)
from server.search.documents import SegmentDocument

MEDIA_URL_PREFIX = "/media/"
"""Where the web app serves ARCHIVE_MEDIA_DIR; `media_path` is relative to that folder."""
SLUG_MAX_LENGTH = 80
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LISTED_STATUSES = (STATUS_READY, STATUS_INDEX_PENDING)
"""A webinar is shown once it is stored in full, even while the search index catches up."""
_EPOCH = dt.date(1970, 1, 1)


class CatalogError(ValueError):
    """A request the catalogue refuses; the message is meant for the user."""


class SlugError(CatalogError):
    """A slug that is malformed or already belongs to another webinar."""


# --- slugs ----------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """An ASCII, lowercase, hyphenated form of a title, for URLs people can read and share.

    Accents are folded ("Análise" -> "analise") rather than dropped, and the result is cut at a
    word boundary so long titles do not make unwieldy links.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[:SLUG_MAX_LENGTH]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "webinar"


def check_slug(slug: str) -> str:
    """Validate a slug someone chose (`--slug`); generated slugs are valid by construction."""
    if len(slug) > 200 or not _SLUG_RE.match(slug):
        raise SlugError(f"slug {slug!r}: use lowercase ASCII letters and digits separated by single hyphens")
    return slug


def slug_owner(session: Session, slug: str) -> Webinar | None:
    return session.exec(select(Webinar).where(Webinar.slug == slug)).first()


def unique_slug(session: Session, base: str, exclude_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first one no other webinar uses."""
    pattern = f"{base}-%"
    query = select(Webinar.slug).where((col(Webinar.slug) == base) | col(Webinar.slug).like(pattern))
    if exclude_id is not None:
        query = query.where(Webinar.id != exclude_id)
    taken = set(session.exec(query).all())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- storing an ingest ----------------------------------------------------------------------


def find_by_sha256(session: Session, media_sha256: str) -> Webinar | None:
    return session.exec(select(Webinar).where(Webinar.media_sha256 == media_sha256)).first()


def store_transcript(
    session: Session,
    media_info: MediaInfo,
    media_sha256: str,
    manifest: Manifest,
    transcript: doc.Transcript,
    slug: str | None = None,
) -> Webinar:
    """Store a webinar with its people, chapters, segments and resources, in one transaction.

    `media_info.path` is stored as given (the CLI passes it relative to ARCHIVE_MEDIA_DIR). If a
    webinar with the same `media_sha256` exists it is updated in place: its id, slug (unless
    `slug` is given), published flag and creation time stay; its chapters, segments, resources
    and speakers are replaced. The webinar is left `index_pending` until the indexer marks it
    ready. On any error the transaction is rolled back and the error re-raised.
    """
    try:
        webinar = _store(session, media_info, media_sha256, manifest, transcript, slug)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return webinar


def _store(
    session: Session,
    media_info: MediaInfo,
    media_sha256: str,
    manifest: Manifest,
    transcript: doc.Transcript,
    slug: str | None,
) -> Webinar:
    webinar = find_by_sha256(session, media_sha256)
    title = (manifest.title or "").strip() or media_info.path.stem.replace("_", " ")
    if slug is not None:
        check_slug(slug)
        owner = slug_owner(session, slug)
        if owner is not None and owner.media_sha256 != media_sha256:
            raise SlugError(f"slug {slug!r} is already used by another webinar ({owner.title!r})")
    fields: dict[str, Any] = {
        "title": title,
        "date": manifest.date,
        "description": manifest.description,
        "language": manifest.language or transcript.language or "en",
        "topics": list(manifest.topics),
        "duration": media_info.duration or transcript.duration,
        "media_path": PurePosixPath(media_info.path).as_posix(),
        "model": transcript.model,
        "agenda": _agenda_text(manifest),
        "status": STATUS_INDEX_PENDING,
        "updated_at": utcnow(),
    }
    if webinar is None:
        webinar = Webinar(
            slug=slug or unique_slug(session, slugify(title)),
            media_sha256=media_sha256,
            **fields,
        )
        session.add(webinar)
        session.flush()
    else:
        for name, value in fields.items():
            setattr(webinar, name, value)
        if slug is not None:
            webinar.slug = slug
        _delete_parts(session, _id(webinar))
        session.flush()
    webinar_id = _id(webinar)
    people = _store_people(session, webinar_id, manifest, transcript)
    chapter_ids = _store_chapters(session, webinar_id, transcript.chapters)
    _store_resources(session, webinar_id, transcript, manifest)
    _store_segments(session, webinar_id, transcript, chapter_ids, people)
    return webinar


def _agenda_text(manifest: Manifest) -> str | None:
    """The agenda as staff gave it: their text, or a structured agenda as JSON."""
    if manifest.agenda is None or isinstance(manifest.agenda, str):
        return manifest.agenda
    return msgspec.json.encode(manifest.agenda).decode("utf-8")


def _id(row: Webinar) -> int:
    if row.id is None:  # only before a flush; a bug if seen here
        raise RuntimeError("webinar has no id yet")
    return row.id


def _delete_parts(session: Session, webinar_id: int) -> None:
    """Replace, not merge, on a re-ingest: the new transcript is the whole truth."""
    session.execute(delete(Segment).where(col(Segment.webinar_id) == webinar_id))
    session.execute(delete(Chapter).where(col(Chapter.webinar_id) == webinar_id))
    session.execute(delete(Resource).where(col(Resource.webinar_id) == webinar_id))
    session.execute(delete(WebinarPerson).where(col(WebinarPerson.webinar_id) == webinar_id))


@dataclass
class _Speaker:
    name: str
    role: str | None = None
    affiliation: str | None = None
    project: str | None = None
    label: str | None = None


def _store_people(
    session: Session, webinar_id: int, manifest: Manifest, transcript: doc.Transcript
) -> dict[str, int]:
    """Link the manifest's speakers and the named voices; returns speaker label -> person id.

    People are matched by name ignoring case, so a name the structure stage put on a voice joins
    the manifest's entry for that person instead of creating a second one.
    """
    speakers: dict[str, _Speaker] = {}
    for listed in manifest.speakers:
        key = listed.name.strip().casefold()
        if key and key not in speakers:
            speakers[key] = _Speaker(listed.name.strip(), listed.role, listed.affiliation, listed.project)
    for voice in transcript.speakers:
        if not voice.name or not voice.name.strip():
            continue
        key = voice.name.strip().casefold()
        entry = speakers.setdefault(key, _Speaker(voice.name.strip()))
        entry.label = entry.label or voice.label
        entry.role = entry.role or voice.role
        entry.affiliation = entry.affiliation or voice.affiliation
        entry.project = entry.project or voice.project
    label_to_person: dict[str, int] = {}
    for position, entry in enumerate(speakers.values()):
        person = session.exec(select(Person).where(Person.name == entry.name)).first()
        if person is None:
            person = Person(name=entry.name, affiliation=entry.affiliation, project=entry.project)
            session.add(person)
        else:  # the newest metadata wins, but a missing value does not erase a known one
            person.affiliation = entry.affiliation or person.affiliation
            person.project = entry.project or person.project
        session.flush()
        assert person.id is not None
        session.add(
            WebinarPerson(
                webinar_id=webinar_id,
                person_id=person.id,
                role=entry.role,
                speaker_label=entry.label,
                position=position,
            )
        )
        if entry.label:
            label_to_person[entry.label] = person.id
    session.flush()
    return label_to_person


def _store_chapters(session: Session, webinar_id: int, chapters: Sequence[doc.Chapter]) -> list[int]:
    """Returns the new chapter ids in transcript order (segments refer to chapters by position)."""
    if not chapters:
        return []
    rows = [
        {
            "webinar_id": webinar_id,
            "position": position,
            "start": chapter.start,
            "end": chapter.end,
            "written_start": chapter.written_start,
            "title": chapter.title,
            "kind": chapter.kind,
            "speakers": list(chapter.speakers),
        }
        for position, chapter in enumerate(chapters)
    ]
    result = session.execute(
        insert(Chapter).returning(col(Chapter.id), sort_by_parameter_order=True),
        rows,
    )
    return [row[0] for row in result]


def _store_resources(
    session: Session, webinar_id: int, transcript: doc.Transcript, manifest: Manifest
) -> None:
    """The transcript's resources (with the moments found), else the manifest's links."""
    resources = transcript.resources or [doc.Resource(r.title, r.url) for r in manifest.resources]
    if resources:
        session.execute(
            insert(Resource),
            [
                {
                    "webinar_id": webinar_id,
                    "position": position,
                    "title": r.title,
                    "url": r.url,
                    "start": r.start,
                }
                for position, r in enumerate(resources)
            ],
        )


def _store_segments(
    session: Session,
    webinar_id: int,
    transcript: doc.Transcript,
    chapter_ids: list[int],
    people: dict[str, int],
) -> None:
    """Bulk insert (executemany with RETURNING): an hour is ~1,000 rows, one round trip each batch.

    Answers point at question segments, whose ids exist only after the insert, so they are set
    in a second, bulk update by primary key.
    """
    if not transcript.segments:
        return
    rows = []
    for segment in transcript.segments:
        chapter = segment.chapter
        rows.append(
            {
                "webinar_id": webinar_id,
                "position": segment.id,
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "speaker_label": segment.speaker,
                "person_id": people.get(segment.speaker) if segment.speaker else None,
                "kind": segment.kind,
                "chapter_id": chapter_ids[chapter]
                if chapter is not None and 0 <= chapter < len(chapter_ids)
                else None,
                "words": [[w.start, w.end, w.text, w.probability] for w in segment.words],
                "resources": list(segment.resources),
            }
        )
    result = session.execute(
        insert(Segment).returning(col(Segment.id), sort_by_parameter_order=True),
        rows,
    )
    ids = {segment.id: row[0] for segment, row in zip(transcript.segments, result, strict=True)}
    answers = [
        {"id": ids[segment.id], "answers_id": ids[segment.answers]}
        for segment in transcript.segments
        if segment.answers is not None and segment.answers in ids
    ]
    if answers:
        session.execute(update(Segment), answers)


# --- status ---------------------------------------------------------------------------------


def set_status(session: Session, webinar_ids: Sequence[int], status: str) -> None:
    """Mark webinars (e.g. `ready` once indexed, `index_pending` when the index was unreachable)."""
    if status not in WEBINAR_STATUSES:
        raise ValueError(f"unknown webinar status {status!r}")
    if webinar_ids:
        session.execute(
            update(Webinar)
            .where(col(Webinar.id).in_(list(webinar_ids)))
            .values(status=status, updated_at=utcnow())
        )
        session.commit()


def webinars_with_status(session: Session, status: str) -> list[Webinar]:
    """For start-up and `reindex`: which webinars still wait for the search index."""
    return list(session.exec(select(Webinar).where(Webinar.status == status).order_by(col(Webinar.id))))


def update_webinar(session: Session, webinar: Webinar, changes: WebinarUpdate, editor: str) -> Webinar:
    """Apply a staff edit and record each changed field in the edit history, in one commit."""
    assert webinar.id is not None
    for name, value in changes.model_dump(exclude_unset=True).items():
        old = getattr(webinar, name)
        if old == value:
            continue
        session.add(
            EditHistory(
                table_name="webinar",
                row_id=webinar.id,
                field=name,
                old_value=_jsonable(old),
                new_value=_jsonable(value),
                editor=editor,
            )
        )
        setattr(webinar, name, value)
    webinar.updated_at = utcnow()
    session.add(webinar)
    session.commit()
    return webinar


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- reading --------------------------------------------------------------------------------


def _listed() -> Any:
    return (col(Webinar.published).is_(True)) & col(Webinar.status).in_(LISTED_STATUSES)


def list_webinars(session: Session, limit: int, offset: int) -> tuple[list[Webinar], int]:
    """Published webinars, newest first (undated last), and how many there are in all."""
    total = session.exec(select(func.count()).select_from(Webinar).where(_listed())).one()
    rows = session.exec(
        select(Webinar)
        .where(_listed())
        .order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def get_published(session: Session, slug: str) -> Webinar | None:
    """A webinar the public may see; unpublished ones do not exist as far as the public API goes."""
    return session.exec(select(Webinar).where(Webinar.slug == slug).where(_listed())).first()


def media_url(webinar: Webinar) -> str | None:
    """The player's URL for the recording, or None when it lies outside ARCHIVE_MEDIA_DIR."""
    path = PurePosixPath(webinar.media_path)
    if path.is_absolute() or ".." in path.parts:
        return None
    return MEDIA_URL_PREFIX + quote(path.as_posix())


def summary(webinar: Webinar) -> WebinarSummary:
    return WebinarSummary.model_validate(webinar, update={"url": f"/webinars/{webinar.slug}"})


def _speakers(session: Session, webinar_id: int) -> list[tuple[WebinarPerson, Person]]:
    rows = session.exec(
        select(WebinarPerson, Person)
        .join(Person, col(Person.id) == col(WebinarPerson.person_id))
        .where(WebinarPerson.webinar_id == webinar_id)
        .order_by(col(WebinarPerson.position))
    ).all()
    return [(link, person) for link, person in rows]


def _chapters(session: Session, webinar_id: int) -> list[Chapter]:
    return list(
        session.exec(select(Chapter).where(Chapter.webinar_id == webinar_id).order_by(col(Chapter.position)))
    )


def _resources(session: Session, webinar_id: int) -> list[Resource]:
    return list(
        session.exec(
            select(Resource).where(Resource.webinar_id == webinar_id).order_by(col(Resource.position))
        )
    )


def webinar_detail(session: Session, webinar: Webinar) -> WebinarPublic:
    webinar_id = _id(webinar)
    return WebinarPublic.model_validate(
        webinar,
        update={
            "media_url": media_url(webinar),
            "speakers": [
                SpeakerPublic(
                    name=person.name, role=link.role, affiliation=person.affiliation, project=person.project
                )
                for link, person in _speakers(session, webinar_id)
            ],
            "chapters": [
                ChapterPublic(start=c.start, end=c.end, title=c.title, kind=c.kind, speakers=list(c.speakers))
                for c in _chapters(session, webinar_id)
            ],
            "resources": [
                ResourcePublic(title=r.title, url=r.url, start=r.start)
                for r in _resources(session, webinar_id)
            ],
        },
    )


def _speaker_names(session: Session, webinar_id: int) -> tuple[dict[int, Person], dict[str, str]]:
    """Person rows by id, and label -> display name for voices with a person."""
    people: dict[int, Person] = {}
    labels: dict[str, str] = {}
    for link, person in _speakers(session, webinar_id):
        assert person.id is not None
        people[person.id] = person
        if link.speaker_label:
            labels[link.speaker_label] = person.name
    return people, labels


def _speaker_for(
    person_id: int | None, label: str | None, people: dict[int, Person], labels: dict[str, str]
) -> str | None:
    """The name to show: the person's, else the name given to the voice, else its label."""
    if person_id is not None and person_id in people:
        return people[person_id].name
    if label:
        return labels.get(label, label)
    return None


def list_segments(session: Session, webinar: Webinar) -> list[SegmentPublic]:
    webinar_id = _id(webinar)
    people, labels = _speaker_names(session, webinar_id)
    chapters = {c.id: c.title for c in _chapters(session, webinar_id)}
    rows = session.exec(
        select(Segment).where(Segment.webinar_id == webinar_id).order_by(col(Segment.position))
    ).all()
    return [
        SegmentPublic(
            id=s.id or 0,
            start=s.start,
            end=s.end,
            speaker=_speaker_for(s.person_id, s.speaker_label, people, labels),
            kind=s.kind,
            chapter=chapters.get(s.chapter_id) if s.chapter_id is not None else None,
            text=s.text,
        )
        for s in rows
    ]


def load_transcript(session: Session, webinar: Webinar) -> doc.Transcript:
    """Rebuild the transcript document from the catalogue (for captions and re-structuring).

    Segment ids, chapter numbers and answer links are positions again, as `ingest/` produced them.
    """
    webinar_id = _id(webinar)
    chapters = _chapters(session, webinar_id)
    chapter_position = {c.id: c.position for c in chapters}
    segments = list(
        session.exec(select(Segment).where(Segment.webinar_id == webinar_id).order_by(col(Segment.position)))
    )
    segment_position = {s.id: s.position for s in segments}
    speakers = [
        doc.Speaker(
            label=link.speaker_label,
            name=person.name,
            role=link.role,
            affiliation=person.affiliation,
            project=person.project,
        )
        for link, person in _speakers(session, webinar_id)
        if link.speaker_label
    ]
    named = {s.label for s in speakers}
    for segment in segments:
        if segment.speaker_label and segment.speaker_label not in named:
            named.add(segment.speaker_label)
            speakers.append(doc.Speaker(label=segment.speaker_label))
    return doc.Transcript(
        language=webinar.language,
        duration=webinar.duration,
        model=webinar.model,
        segments=[
            doc.Segment(
                id=s.position,
                start=s.start,
                end=s.end,
                text=s.text,
                words=[doc.Word(float(w[0]), float(w[1]), str(w[2]), float(w[3])) for w in s.words],
                speaker=s.speaker_label,
                kind=s.kind,  # type: ignore[arg-type]
                chapter=chapter_position.get(s.chapter_id) if s.chapter_id is not None else None,
                answers=segment_position.get(s.answers_id) if s.answers_id is not None else None,
                resources=list(s.resources),
            )
            for s in segments
        ],
        speakers=speakers,
        chapters=[
            doc.Chapter(
                start=c.start,
                end=c.end,
                title=c.title,
                kind=c.kind,  # type: ignore[arg-type]
                speakers=list(c.speakers),
                written_start=c.written_start,
            )
            for c in chapters
        ],
        resources=[doc.Resource(r.title, r.url, r.start) for r in _resources(session, webinar_id)],
    )


# --- the search index's feed ----------------------------------------------------------------


def iter_segment_documents(
    session: Session, webinar_id: int | None = None, batch_size: int = 5000
) -> Iterator[list[SegmentDocument]]:
    """Search documents for one webinar or all listed ones, in batches of at most `batch_size`.

    Only webinars the public may see are yielded (published, stored in full), so an unpublished
    webinar yields nothing and the indexer should delete its documents. Segments are read with
    keyset pagination, so memory stays bounded however large the archive.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    query = select(Webinar).where(_listed()).order_by(col(Webinar.id))
    if webinar_id is not None:
        query = query.where(Webinar.id == webinar_id)
    webinars = list(session.exec(query))
    batch: list[SegmentDocument] = []
    for webinar in webinars:
        wid = _id(webinar)
        people, labels = _speaker_names(session, wid)
        affiliation_by_name = {p.name: p.affiliation for p in people.values()}
        projects = sorted({p.project for p in people.values() if p.project})
        chapters = {c.id: c.title for c in _chapters(session, wid)}
        date = webinar.date.isoformat() if webinar.date else None
        date_ts = (webinar.date - _EPOCH).days if webinar.date else None
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
                )
                .where(col(Segment.webinar_id) == wid)
                .where(col(Segment.position) > last)
                .order_by(col(Segment.position))
                .limit(batch_size)
            ).all()
            if not rows:
                break
            last = rows[-1].position
            for s in rows:
                speaker = _speaker_for(s.person_id, s.speaker_label, people, labels)
                batch.append(
                    SegmentDocument(
                        id=s.id,
                        webinar=webinar.slug,
                        webinar_title=webinar.title,
                        date=date,
                        date_ts=date_ts,
                        year=year,
                        topics=list(webinar.topics),
                        projects=projects,
                        language=webinar.language,
                        speaker=speaker,
                        affiliation=affiliation_by_name.get(speaker) if speaker else None,
                        kind=s.kind,
                        chapter=chapters.get(s.chapter_id) if s.chapter_id is not None else None,
                        start=s.start,
                        end=s.end,
                        text=s.text,
                    )
                )
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    if batch:
        yield batch
