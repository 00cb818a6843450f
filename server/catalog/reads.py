"""Reading webinars back for the public: lists, a webinar's detail, its segments, its transcript.

Only listed webinars (`status.listed`: published, stored in full) are found by slug or listed;
the functions that take a `Webinar` read whatever row they are given. The speaker helpers are
shared with the search feed (server/search/feed.py), so a segment's speaker reads the same in a
search hit as on the webinar's page.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from sqlalchemy import func
from sqlmodel import Session, col, select

from ingest import document as doc
from server.catalog.models import (
    Chapter,
    ChapterPublic,
    Person,
    Project,
    Resource,
    ResourcePublic,
    Segment,
    SegmentPublic,
    SpeakerPublic,
    Webinar,
    WebinarPerson,
    WebinarPublic,
    WebinarSummary,
    require_id,
)
from server.catalog.status import listed

MEDIA_URL_PREFIX = "/media/"
"""Where the web app serves ARCHIVE_MEDIA_DIR; `media_path` is relative to that folder."""


def list_webinars(session: Session, limit: int, offset: int) -> tuple[list[Webinar], int]:
    """Published webinars, newest first (undated last), and how many there are in all."""
    total = session.exec(select(func.count()).select_from(Webinar).where(listed())).one()
    rows = session.exec(
        select(Webinar)
        .where(listed())
        .order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def get_published(session: Session, slug: str) -> Webinar | None:
    """A webinar the public may see; unpublished ones do not exist as far as the public API goes."""
    return session.exec(select(Webinar).where(Webinar.slug == slug).where(listed())).first()


def media_url(webinar: Webinar) -> str | None:
    """The player's URL for the recording, or None when it lies outside ARCHIVE_MEDIA_DIR."""
    path = PurePosixPath(webinar.media_path)
    if path.is_absolute() or ".." in path.parts:
        return None
    return MEDIA_URL_PREFIX + quote(path.as_posix())


def summary(webinar: Webinar) -> WebinarSummary:
    return WebinarSummary.model_validate(webinar, update={"url": f"/webinars/{webinar.slug}"})


def webinar_speakers(session: Session, webinar_id: int) -> list[tuple[WebinarPerson, Person]]:
    """The webinar's people with their part in it, in the manifest's order."""
    rows = session.exec(
        select(WebinarPerson, Person)
        .join(Person, col(Person.id) == col(WebinarPerson.person_id))
        .where(WebinarPerson.webinar_id == webinar_id)
        .order_by(col(WebinarPerson.position))
    ).all()
    return [(link, person) for link, person in rows]


def webinar_chapters(session: Session, webinar_id: int) -> list[Chapter]:
    """The webinar's chapters in order."""
    return list(
        session.exec(select(Chapter).where(Chapter.webinar_id == webinar_id).order_by(col(Chapter.position)))
    )


def webinar_resources(session: Session, webinar_id: int) -> list[Resource]:
    """The webinar's resources (links) in order."""
    return list(
        session.exec(
            select(Resource).where(Resource.webinar_id == webinar_id).order_by(col(Resource.position))
        )
    )


def webinar_detail(session: Session, webinar: Webinar) -> WebinarPublic:
    webinar_id = require_id(webinar)
    speakers = webinar_speakers(session, webinar_id)
    resources = webinar_resources(session, webinar_id)
    wanted = {p.project_id for _, p in speakers} | {r.project_id for r in resources}
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(wanted - {None})))}

    def project_of(project_id: int | None) -> Project | None:
        return projects.get(project_id) if project_id is not None else None

    return WebinarPublic.model_validate(
        webinar,
        update={
            "media_url": media_url(webinar),
            "speakers": [
                SpeakerPublic(
                    name=person.name,
                    role=link.role,
                    affiliation=person.affiliation,
                    project=person.project,
                    slug=person.slug,
                    project_slug=getattr(project_of(person.project_id), "slug", None),
                )
                for link, person in speakers
            ],
            "chapters": [
                ChapterPublic(start=c.start, end=c.end, title=c.title, kind=c.kind, speakers=list(c.speakers))
                for c in webinar_chapters(session, webinar_id)
            ],
            "resources": [
                ResourcePublic(
                    title=r.title,
                    url=r.url,
                    start=r.start,
                    project=getattr(project_of(r.project_id), "name", None),
                    project_slug=getattr(project_of(r.project_id), "slug", None),
                )
                for r in resources
            ],
        },
    )


def speaker_names(session: Session, webinar_id: int) -> tuple[dict[int, Person], dict[str, str]]:
    """Person rows by id, and label -> display name for voices with a person."""
    people: dict[int, Person] = {}
    labels: dict[str, str] = {}
    for link, person in webinar_speakers(session, webinar_id):
        assert person.id is not None
        people[person.id] = person
        if link.speaker_label:
            labels[link.speaker_label] = person.name
    return people, labels


def speaker_for(
    person_id: int | None, label: str | None, people: dict[int, Person], labels: dict[str, str]
) -> str | None:
    """The name to show: the person's, else the name given to the voice, else its label."""
    if person_id is not None and person_id in people:
        return people[person_id].name
    if label:
        return labels.get(label, label)
    return None


def list_segments(session: Session, webinar: Webinar) -> list[SegmentPublic]:
    webinar_id = require_id(webinar)
    people, labels = speaker_names(session, webinar_id)
    chapters = {c.id: c.title for c in webinar_chapters(session, webinar_id)}
    rows = session.exec(
        select(Segment).where(Segment.webinar_id == webinar_id).order_by(col(Segment.position))
    ).all()
    return [
        SegmentPublic(
            id=s.id or 0,
            start=s.start,
            end=s.end,
            speaker=speaker_for(s.person_id, s.speaker_label, people, labels),
            kind=s.kind,
            chapter=chapters.get(s.chapter_id) if s.chapter_id is not None else None,
            text=s.text,
            language=s.language,
        )
        for s in rows
    ]


def load_transcript(session: Session, webinar: Webinar) -> doc.Transcript:
    """Rebuild the transcript document from the catalogue (for captions and re-structuring).

    Segment ids, chapter numbers and answer links are positions again, as `ingest/` produced them.
    """
    webinar_id = require_id(webinar)
    chapters = webinar_chapters(session, webinar_id)
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
        for link, person in webinar_speakers(session, webinar_id)
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
                language=s.language,
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
        resources=[doc.Resource(r.title, r.url, r.start) for r in webinar_resources(session, webinar_id)],
    )
