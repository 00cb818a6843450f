"""Storing an ingested transcript: a webinar with its people, chapters, segments and resources.

The recording's sha256 identifies a webinar, so a second ingest of the same bytes replaces the
stored transcript rather than adding a duplicate. Nothing here commits: the caller owns the unit
of work (`with session.begin():`), which makes a failed ingest leave nothing behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec
from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from ingest import document as doc
from ingest.metadata import Manifest
from ingest.probe import MediaInfo
from ingest.textutil import normalise_name
from server.catalog.embeddings import store_vectors
from server.catalog.models import (
    STATUS_INDEX_PENDING,
    Chapter,
    Resource,
    Segment,
    Webinar,
    WebinarPerson,
    require_id,
    utcnow,
)
from server.catalog.people import find_project, get_or_create_person
from server.catalog.slugs import SlugError, check_slug, slug_owner, slugify, unique_slug


def media_sha256(path: Path) -> str:
    """The recording's identity in the catalogue (`media_sha256`): the same bytes ingested again
    update their webinar instead of making a second one. Read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
    """Store a webinar with its people, chapters, segments and resources, and flush.

    The caller commits, in one unit of work with nothing else (`with session.begin():`), so an
    error at any point rolls the whole webinar back and leaves no half webinar behind.

    `media_info.path` is stored as given (the CLI passes it relative to ARCHIVE_MEDIA_DIR). If a
    webinar with the same `media_sha256` exists it is updated in place: its id, slug (unless
    `slug` is given), published flag and creation time stay; its chapters, segments, resources
    and speakers are replaced. The webinar is left `index_pending` until the indexer marks it
    ready.
    """
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
        # The player's timeline: audio that starts late in the container ends later by as much.
        "duration": (media_info.audio_start + media_info.duration)
        if media_info.duration
        else transcript.duration,
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
        _delete_parts(session, require_id(webinar))
        session.flush()
    webinar_id = require_id(webinar)
    people = _store_people(session, webinar_id, manifest, transcript)
    chapter_ids = _store_chapters(session, webinar_id, transcript.chapters)
    _store_resources(session, webinar_id, transcript, manifest)
    _store_segments(session, webinar_id, transcript, chapter_ids, people)
    session.flush()
    return webinar


def _agenda_text(manifest: Manifest) -> str | None:
    """The agenda as staff gave it: their text, or a structured agenda as JSON."""
    if manifest.agenda is None or isinstance(manifest.agenda, str):
        return manifest.agenda
    return msgspec.json.encode(manifest.agenda).decode("utf-8")


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
    linked: set[int] = set()
    for position, entry in enumerate(speakers.values()):
        # One person across webinars, found by name, folded name or an old name (people.py);
        # the newest metadata wins, but a missing value does not erase a known one.
        person = get_or_create_person(
            session, entry.name, affiliation=entry.affiliation, project=entry.project
        )
        assert person.id is not None
        if person.id in linked:  # two spellings of one person in one manifest: one link
            if entry.label:
                label_to_person.setdefault(entry.label, person.id)
            continue
        linked.add(person.id)
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
    projects = _manifest_projects(session, manifest)
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
                    "project_id": _resource_project(r.title, projects),
                }
                for position, r in enumerate(resources)
            ],
        )


def _manifest_projects(session: Session, manifest: Manifest) -> list[tuple[str, int]]:
    """The manifest speakers' projects (stored by `_store_people`) as (folded name, id)."""
    out = []
    for listed in manifest.speakers:
        project = find_project(session, listed.project) if listed.project and listed.project.strip() else None
        if project is not None and project.id is not None:
            out.append((normalise_name(project.name), project.id))
    return out


def _resource_project(title: str, projects: list[tuple[str, int]]) -> int | None:
    """A resource belongs to the project whose name its title holds as words ("ReCircle toolkit")."""
    words = " " + " ".join(re.findall(r"\w+", normalise_name(title))) + " "
    for name, project_id in projects:
        folded = " ".join(re.findall(r"\w+", name))
        if folded and f" {folded} " in words:
            return project_id
    return None


def _store_segments(
    session: Session,
    webinar_id: int,
    transcript: doc.Transcript,
    chapter_ids: list[int],
    people: dict[str, int],
) -> None:
    """Bulk insert (executemany with RETURNING): an hour is ~1,000 rows, one round trip each batch.

    Answers point at question segments, whose ids exist only after the insert, so they are set
    in a second, bulk update by primary key. The embedding stage's vectors go with them.
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
                "language": segment.language,
            }
        )
    result = session.execute(
        insert(Segment).returning(col(Segment.id), sort_by_parameter_order=True),
        rows,
    )
    ids = {segment.id: row[0] for segment, row in zip(transcript.segments, result, strict=True)}
    store_vectors(session, [ids[segment.id] for segment in transcript.segments], transcript)
    answers = [
        {"id": ids[segment.id], "answers_id": ids[segment.answers]}
        for segment in transcript.segments
        if segment.answers is not None and segment.answers in ids
    ]
    if answers:
        session.execute(update(Segment), answers)
