"""Read-only SQL for the site's pages: what the templates show, in as few queries as possible.

The catalogue's reads (server/catalog/reads.py) answer the JSON API; the pages need other shapes (a transcript
without word times, people by a URL slug, topics across the archive), so those queries live
here, beside the pages, and only read. Rows are fetched as plain columns, not ORM objects: the
replay page of a two-hour webinar reads ~1,500 segments, and skipping the identity map and the
word-time JSON keeps it well inside the page's time budget (bench/pages.py measures it).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ingest.textutil import normalise_name
from server.catalog import people as people_records
from server.catalog.models import (
    Chapter,
    EditHistory,
    Person,
    Project,
    Resource,
    Segment,
    Webinar,
    WebinarPerson,
)
from server.catalog.slugs import slugify
from server.catalog.status import listed


def person_slug(name: str) -> str:
    """A person's URL slug: their name, folded like webinar slugs (accents kept readable)."""
    return slugify(name)


@dataclass(frozen=True)
class SegmentRow:
    """One transcript segment as the replay page shows it."""

    id: int
    start: float
    end: float
    text: str
    kind: str
    speaker: str | None
    speaker_slug: str | None
    """Set when the voice is a known person, so the name links to their page."""
    chapter_id: int | None
    answers_id: int | None
    language: str | None = None
    """Set where the line is spoken in another language than the webinar's (`lang` on the page)."""


@dataclass
class Turn:
    """Consecutive segments by one speaker: how a transcript reads, and how the page groups it."""

    speaker: str | None
    speaker_slug: str | None
    segments: list[SegmentRow] = field(default_factory=list)

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return self.segments[-1].end

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


@dataclass
class QuestionAnswer:
    """A question with the answers to it, listed together on the replay page."""

    question: list[SegmentRow]
    answers: list[SegmentRow] = field(default_factory=list)


def turns(segments: Iterable[SegmentRow]) -> list[Turn]:
    """Group segments into speaker turns (a change of speaker starts a new turn)."""
    out: list[Turn] = []
    for segment in segments:
        if not out or out[-1].speaker != segment.speaker:
            out.append(Turn(segment.speaker, segment.speaker_slug))
        out[-1].segments.append(segment)
    return out


def questions_and_answers(segments: list[SegmentRow]) -> list[QuestionAnswer]:
    """Questions with their answers: linked by `answers_id` where the structure stage set it,
    else an answer belongs to the question just before it (how a Q&A session runs)."""
    items: list[QuestionAnswer] = []
    by_question: dict[int, QuestionAnswer] = {}
    previous_kind = ""
    for segment in segments:
        if segment.kind == "question":
            if previous_kind != "question" or not items:
                items.append(QuestionAnswer(question=[]))
            items[-1].question.append(segment)
            by_question[segment.id] = items[-1]
        elif segment.kind == "answer":
            target = by_question.get(segment.answers_id) if segment.answers_id is not None else None
            if target is None and items:
                target = items[-1]
            if target is not None:
                target.answers.append(segment)
        previous_kind = segment.kind
    return items


@dataclass(frozen=True)
class QAPairs:
    """The explicit question-and-answer pairs of a transcript (`answers_id`), both ways, so a
    line can link to the question it answers and a question to its first answer."""

    questions: dict[int, SegmentRow]
    """An answered question's id -> the question."""
    answers: dict[int, SegmentRow]
    """A question's id -> its first answer."""


def qa_pairs(segments: list[SegmentRow]) -> QAPairs:
    by_id = {s.id: s for s in segments}
    questions: dict[int, SegmentRow] = {}
    answers: dict[int, SegmentRow] = {}
    for segment in segments:
        question = by_id.get(segment.answers_id) if segment.answers_id is not None else None
        if question is not None:
            questions[question.id] = question
            answers.setdefault(question.id, segment)
    return QAPairs(questions, answers)


def segments(session: Session, webinar: Webinar) -> list[SegmentRow]:
    """The webinar's transcript in time order, with speakers' display names (one query + people)."""
    assert webinar.id is not None
    names: dict[int, str] = {}
    labels: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for label, person_id, name, slug in session.execute(
        sa_select(col(WebinarPerson.speaker_label), col(Person.id), col(Person.name), col(Person.slug))
        .join(Person, col(Person.id) == col(WebinarPerson.person_id))
        .where(col(WebinarPerson.webinar_id) == webinar.id)
    ):
        names[person_id] = name
        slugs[name] = slug
        if label:
            labels[label] = name
    # A voice named after the manifest (assign_voice, a merge) may be someone not listed here.
    missing = {
        r
        for r in session.execute(
            sa_select(col(Segment.person_id))
            .where(col(Segment.webinar_id) == webinar.id, col(Segment.person_id).is_not(None))
            .distinct()
        ).scalars()
        if r not in names
    }
    if missing:
        for person_id, name, slug in session.execute(
            sa_select(col(Person.id), col(Person.name), col(Person.slug)).where(col(Person.id).in_(missing))
        ):
            names[person_id] = name
            slugs[name] = slug
    rows = session.execute(
        sa_select(
            col(Segment.id),
            col(Segment.start),
            col(Segment.end),
            col(Segment.text),
            col(Segment.kind),
            col(Segment.person_id),
            col(Segment.speaker_label),
            col(Segment.chapter_id),
            col(Segment.answers_id),
            col(Segment.language),
        )
        .where(col(Segment.webinar_id) == webinar.id)
        .order_by(col(Segment.position))
    ).all()
    out = []
    for r in rows:
        if r.person_id is not None and r.person_id in names:
            speaker: str | None = names[r.person_id]
        elif r.speaker_label:
            speaker = labels.get(r.speaker_label, r.speaker_label)
        else:
            speaker = None
        out.append(
            SegmentRow(
                id=r.id,
                start=r.start,
                end=r.end,
                text=r.text,
                kind=r.kind,
                speaker=speaker,
                speaker_slug=slugs.get(speaker) if speaker else None,
                chapter_id=r.chapter_id,
                answers_id=r.answers_id,
                language=r.language,
            )
        )
    return out


def chapter_ids(session: Session, webinar: Webinar) -> list[int]:
    """Chapter primary keys in order, to tell which chapter a segment belongs to."""
    return list(
        session.execute(
            sa_select(col(Chapter.id))
            .where(col(Chapter.webinar_id) == webinar.id)
            .order_by(col(Chapter.position))
        ).scalars()
    )


def catalogue_version(session: Session) -> str:
    """What changes whenever a page listing the catalogue would: the number of listed webinars,
    the newest `updated_at` among them (publishing, deleting and editing all move it) and the
    newest edit-history row. The last is numbered by the database, not stamped by a clock: a
    staff edit made on a machine whose clock runs behind another's would leave the newest
    `updated_at` where it was, and every process would go on serving the old lists."""
    newest_edit = sa_select(func.max(col(EditHistory.id))).scalar_subquery()
    count, newest, edit = session.execute(
        sa_select(func.count(col(Webinar.id)), func.max(col(Webinar.updated_at)), newest_edit).where(listed())
    ).one()
    return f"{count}:{newest}:{edit}"


@dataclass(frozen=True)
class TopicCount:
    name: str
    slug: str
    webinars: int


def topics(session: Session) -> list[TopicCount]:
    """Every topic of a listed webinar, most used first.

    Topics are a JSON list per webinar, which SQLite and PostgreSQL cannot group portably, so
    the column alone is read and counted here (fine for thousands of webinars; a topic table
    is the step after that).
    """
    counts: Counter[str] = Counter()
    for row in session.execute(sa_select(col(Webinar.topics)).where(listed())).scalars():
        counts.update(set(row or []))
    return [
        TopicCount(name, person_slug(name), n)
        for name, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    ]


def webinars_on_topic(session: Session, slug: str) -> tuple[str | None, list[Webinar]]:
    """The topic's display name for a URL slug, and the listed webinars on it, newest first."""
    name: str | None = None
    found: list[Webinar] = []
    query = (
        sa_select(Webinar)
        .where(listed())
        .order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
    )
    for webinar in session.execute(query).scalars():
        for topic in webinar.topics or []:
            if person_slug(topic) == slug:
                name = name or topic
                found.append(webinar)
                break
    return name, found


@dataclass(frozen=True)
class SpeakerCount:
    name: str
    slug: str
    affiliation: str | None
    webinars: int


def speakers(session: Session, limit: int = 50) -> list[SpeakerCount]:
    """People who took part in listed webinars, the most frequent first."""
    rows = session.execute(
        sa_select(
            col(Person.name),
            col(Person.slug),
            col(Person.affiliation),
            func.count(col(WebinarPerson.webinar_id)),
        )
        .join(WebinarPerson, col(WebinarPerson.person_id) == col(Person.id))
        .join(Webinar, col(Webinar.id) == col(WebinarPerson.webinar_id))
        .where(listed())
        .group_by(col(Person.id), col(Person.name), col(Person.slug), col(Person.affiliation))
        .order_by(func.count(col(WebinarPerson.webinar_id)).desc(), col(Person.name))
        .limit(limit)
    ).all()
    return [SpeakerCount(name, slug, affiliation, n) for name, slug, affiliation, n in rows]


def person_by_slug(session: Session, slug: str) -> Person | None:
    """The person at `/speakers/<slug>`: their slug, or an old one (see `person_for_page`)."""
    return person_for_page(session, slug)[0]


def person_for_page(session: Session, slug: str) -> tuple[Person | None, bool]:
    """The person at `/speakers/<slug>`, and whether `slug` is not theirs now (redirect there).

    A person's slug is stored; the slug of a name they had before a rename or a merge is an
    alias. Links made before slugs transliterated letters such as ø dropped them
    ("karen-hjgaard"); an article citing one still finds the person.
    """
    person, old = people_records.person_by_slug(session, slug)
    if person is not None:
        return person, old
    legacy = _legacy_person_by_slug(session, slug)
    return legacy, legacy is not None


def _legacy_person_by_slug(session: Session, slug: str) -> Person | None:
    people = list(session.exec(select(Person).order_by(col(Person.id))))
    for person in people:
        if person_slug(person.name) == slug:
            return person
    for person in people:
        if _letter_dropping_slug(person.name) == slug:
            return person
    return None


def _letter_dropping_slug(name: str) -> str:
    """The slug an earlier version made: accents folded, other non-ASCII letters dropped."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


@dataclass
class Appearance:
    """A person's part in one webinar: their role and what they said there, as turns."""

    webinar: Webinar
    role: str | None
    turns: list[Turn]


def appearances(session: Session, person: Person) -> list[Appearance]:
    """Every listed webinar the person took part in (listed among its people, or speaking in
    it: a segment staff gave them), newest first, with their contributions."""
    spoke = sa_select(col(Segment.webinar_id)).where(col(Segment.person_id) == person.id)
    listed_in = sa_select(col(WebinarPerson.webinar_id)).where(col(WebinarPerson.person_id) == person.id)
    links = session.execute(
        sa_select(Webinar, col(WebinarPerson.role))
        .outerjoin(
            WebinarPerson,
            (col(WebinarPerson.webinar_id) == col(Webinar.id)) & (col(WebinarPerson.person_id) == person.id),
        )
        .where(col(Webinar.id).in_(listed_in) | col(Webinar.id).in_(spoke))
        .where(listed())
        .order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
    ).all()
    if not links:
        return []
    webinar_ids = [w.id for w, _ in links]
    slug = person.slug
    by_webinar: dict[int, list[SegmentRow]] = {}
    rows = session.execute(
        sa_select(
            col(Segment.id),
            col(Segment.webinar_id),
            col(Segment.start),
            col(Segment.end),
            col(Segment.text),
            col(Segment.kind),
            col(Segment.chapter_id),
            col(Segment.answers_id),
        )
        .where(col(Segment.person_id) == person.id)
        .where(col(Segment.webinar_id).in_(webinar_ids))
        .order_by(col(Segment.webinar_id), col(Segment.position))
    ).all()
    for r in rows:
        by_webinar.setdefault(r.webinar_id, []).append(
            SegmentRow(r.id, r.start, r.end, r.text, r.kind, person.name, slug, r.chapter_id, r.answers_id)
        )
    out = []
    for webinar, role in links:
        assert webinar.id is not None
        own = by_webinar.get(webinar.id, [])
        out.append(Appearance(webinar, role, _contiguous(own)))
    return out


def _contiguous(rows: list[SegmentRow], gap: float = 5.0) -> list[Turn]:
    """One person's segments joined into turns where they follow each other closely."""
    out: list[Turn] = []
    for row in rows:
        if not out or row.start - out[-1].end > gap:
            out.append(Turn(row.speaker, row.speaker_slug))
        out[-1].segments.append(row)
    return out


@dataclass(frozen=True)
class WebinarLabel:
    title: str
    date: dt.date | None
    language: str = "en"


def webinar_labels(session: Session, slugs: Iterable[str]) -> dict[str, WebinarLabel]:
    """Titles, dates and languages for search facets and results, which only carry slugs."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return {}
    rows = session.execute(
        sa_select(col(Webinar.slug), col(Webinar.title), col(Webinar.date), col(Webinar.language)).where(
            col(Webinar.slug).in_(wanted)
        )
    ).all()
    return {slug: WebinarLabel(title, date, language) for slug, title, date, language in rows}


def key_messages(session: Session, slugs: Iterable[str]) -> dict[str, list[str]]:
    """Staff's key messages of the listed webinars among `slugs`, for the search results' cards."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return {}
    rows = session.execute(
        sa_select(col(Webinar.slug), col(Webinar.key_messages)).where(col(Webinar.slug).in_(wanted), listed())
    ).all()
    return {slug: list(messages or []) for slug, messages in rows if messages}


def years(session: Session) -> list[int]:
    """Years with a listed webinar, newest first (the search page's year filter)."""
    dates = session.execute(sa_select(col(Webinar.date)).where(listed()).distinct()).scalars()
    return sorted({d.year for d in dates if d is not None}, reverse=True)


def feed_webinars(session: Session, limit: int = 50) -> list[Webinar]:
    """The newest listed webinars by when they were added, for the Atom feed."""
    return list(
        session.execute(
            sa_select(Webinar).where(listed()).order_by(col(Webinar.created_at).desc()).limit(limit)
        ).scalars()
    )


def sitemap_webinars(session: Session, limit: int = 50_000) -> list[tuple[str, dt.datetime]]:
    """Every listed webinar's slug and last change, for the sitemap (its protocol's limit is
    50,000 addresses a file)."""
    rows = session.execute(
        sa_select(col(Webinar.slug), col(Webinar.updated_at))
        .where(listed())
        .order_by(col(Webinar.id))
        .limit(limit)
    ).all()
    return [(slug, updated) for slug, updated in rows]


def sitemap_people_and_projects(session: Session) -> tuple[list[str], list[str]]:
    """The slugs of the speaker pages (people in listed webinars) and of the project pages that
    list a webinar (a person of the project took part, a resource of it, an agenda line naming
    it), for the sitemap."""
    people = [s.slug for s in speakers(session, limit=50_000)]
    linked = {
        project_id
        for (project_id,) in session.execute(
            sa_select(col(Person.project_id))
            .join(WebinarPerson, col(WebinarPerson.person_id) == col(Person.id))
            .join(Webinar, col(Webinar.id) == col(WebinarPerson.webinar_id))
            .where(listed(), col(Person.project_id).is_not(None))
            .union(
                sa_select(col(Resource.project_id))
                .join(Webinar, col(Webinar.id) == col(Resource.webinar_id))
                .where(listed(), col(Resource.project_id).is_not(None))
            )
        )
    }
    slugs = {
        slug
        for project_id, slug in session.execute(sa_select(col(Project.id), col(Project.slug)))
        if project_id in linked
    }
    projects = known_projects(session)
    for (title,) in session.execute(
        sa_select(col(Chapter.title))
        .join(Webinar, col(Webinar.id) == col(Chapter.webinar_id))
        .where(listed())
    ):
        named = project_in_title(title, projects)
        if named is not None:
            slugs.add(named[1])
    return people, sorted(slugs)


# --- browsing the catalogue ------------------------------------------------------------------


@dataclass(frozen=True)
class BrowseFilters:
    """What the browse page narrows the catalogue to: a topic and a speaker by their URL slugs,
    a year, a language code. None: no filter."""

    topic: str | None = None
    speaker: str | None = None
    year: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class BrowseItem:
    """One webinar in the list, with its people as (name, URL slug) in the manifest's order."""

    webinar: Webinar
    speakers: list[tuple[str, str]]


def browse_webinars(
    session: Session, filters: BrowseFilters, limit: int, offset: int
) -> tuple[list[BrowseItem], int]:
    """Listed webinars matching `filters`, newest first (undated last), one page of them, and
    how many match in all.

    Year, language and speaker filter in SQL; topics are a JSON list per webinar (see
    `topics`), so the topic is matched on the ids and topics of the otherwise matching webinars,
    two narrow columns, and only the page's rows are read whole.
    """
    query = sa_select(col(Webinar.id), col(Webinar.topics)).where(listed())
    if filters.year is not None:
        first, last = dt.date(filters.year, 1, 1), dt.date(filters.year, 12, 31)
        query = query.where(col(Webinar.date) >= first, col(Webinar.date) <= last)
    if filters.language is not None:
        query = query.where(col(Webinar.language) == filters.language)
    if filters.speaker is not None:
        person = person_by_slug(session, filters.speaker)
        if person is None:
            return [], 0
        query = query.where(
            col(Webinar.id).in_(
                sa_select(col(WebinarPerson.webinar_id)).where(col(WebinarPerson.person_id) == person.id)
            )
        )
    query = query.order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
    ids = [
        webinar_id
        for webinar_id, topics_ in session.execute(query)
        if filters.topic is None or any(person_slug(t) == filters.topic for t in topics_ or [])
    ]
    page = ids[offset : offset + limit]
    if not page:
        return [], len(ids)
    rows = {w.id: w for w in session.execute(sa_select(Webinar).where(col(Webinar.id).in_(page))).scalars()}
    people: dict[int, list[tuple[str, str]]] = {}
    for webinar_id, name, slug in session.execute(
        sa_select(col(WebinarPerson.webinar_id), col(Person.name), col(Person.slug))
        .join(Person, col(Person.id) == col(WebinarPerson.person_id))
        .where(col(WebinarPerson.webinar_id).in_(page))
        .order_by(col(WebinarPerson.webinar_id), col(WebinarPerson.position))
    ):
        people.setdefault(webinar_id, []).append((name, slug))
    return [BrowseItem(rows[i], people.get(i, [])) for i in page], len(ids)


def languages(session: Session) -> list[str]:
    """The languages of listed webinars (codes), for the browse page's language filter."""
    codes = session.execute(sa_select(col(Webinar.language)).where(listed()).distinct()).scalars()
    return sorted({c for c in codes if c})


# --- projects ----------------------------------------------------------------------------------


def project_by_slug(session: Session, slug: str) -> Project | None:
    return session.exec(select(Project).where(Project.slug == slug)).first()


MIN_PROJECT_NAME: Final = 3
"""Shorter project names (after folding) are not looked for in agenda titles: too many false hits."""


def _word_text(text: str) -> str:
    """The text's words, folded (case and accents) and space-separated, with a space either side."""
    return " " + " ".join(re.findall(r"\w+", normalise_name(text))) + " "


def known_projects(session: Session) -> list[tuple[str, str]]:
    """Every project record, (name, slug): those the manifests' speakers brought, and staff's."""
    return [(name, slug) for name, slug in session.execute(sa_select(col(Project.name), col(Project.slug)))]


def project_in_title(title: str, projects: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The project, (name, slug), that an agenda title names as whole words ("PORTIS: results",
    "Results of the ReCircle project"), case and accents ignored; of several, the longest name
    ("ReCircle Plus" before "ReCircle"). A chapter's title is the agenda line it came from."""
    words = _word_text(title)
    best: tuple[str, str] | None = None
    longest = 0
    for name, slug in projects:
        folded = _word_text(name)
        if len(folded.strip()) >= MIN_PROJECT_NAME and folded in words and len(folded) > longest:
            best, longest = (name, slug), len(folded)
    return best


def chapter_projects(session: Session, titles: Iterable[str]) -> dict[int, tuple[str, str]]:
    """The projects named in these chapter titles, by the title's index (none: not in the dict)."""
    titles = list(titles)
    if not titles:
        return {}
    projects = known_projects(session)
    found = {i: project_in_title(title, projects) for i, title in enumerate(titles)}
    return {i: project for i, project in found.items() if project is not None}


@dataclass(frozen=True)
class ProjectWebinar:
    """A listed webinar where a project is presented: by whom, its resources there, and the
    agenda lines (chapters) that name it."""

    webinar: Webinar
    people: list[tuple[str, str]]
    """(name, slug) of the project's people who took part."""
    resources: list[Resource]
    chapters: list[Chapter] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectPage:
    project: Project
    people: list[tuple[str, str]]
    """Everyone linked to the project, (name, slug), by name."""
    webinars: list[ProjectWebinar]


def project_page(session: Session, project: Project) -> ProjectPage:
    """The project's people, and the listed webinars where it is presented (one of its people
    takes part, a resource of it is shared, or an agenda line names it), newest first."""
    people = [
        (name, slug)
        for name, slug in session.execute(
            sa_select(col(Person.name), col(Person.slug))
            .where(col(Person.project_id) == project.id)
            .order_by(col(Person.name))
        )
    ]
    by_webinar: dict[int, list[tuple[str, str]]] = {}
    for webinar_id, name, slug in session.execute(
        sa_select(col(WebinarPerson.webinar_id), col(Person.name), col(Person.slug))
        .join(Person, col(Person.id) == col(WebinarPerson.person_id))
        .where(col(Person.project_id) == project.id)
        .order_by(col(WebinarPerson.position))
    ):
        by_webinar.setdefault(webinar_id, []).append((name, slug))
    resources: dict[int, list[Resource]] = {}
    for resource in session.execute(
        sa_select(Resource).where(col(Resource.project_id) == project.id).order_by(col(Resource.position))
    ).scalars():
        resources.setdefault(resource.webinar_id, []).append(resource)
    chapters: dict[int, list[Chapter]] = {}
    projects = known_projects(session)
    for chapter in session.execute(
        sa_select(Chapter)
        .join(Webinar, col(Webinar.id) == col(Chapter.webinar_id))
        .where(listed())
        .order_by(col(Chapter.webinar_id), col(Chapter.position))
    ).scalars():
        named = project_in_title(chapter.title, projects)
        if named is not None and named[1] == project.slug:
            chapters.setdefault(chapter.webinar_id, []).append(chapter)
    ids = set(by_webinar) | set(resources) | set(chapters)
    if not ids:
        return ProjectPage(project, people, [])
    webinars = session.execute(
        sa_select(Webinar)
        .where(listed(), col(Webinar.id).in_(ids))
        .order_by(col(Webinar.date).desc().nulls_last(), col(Webinar.id).desc())
    ).scalars()
    return ProjectPage(
        project,
        people,
        [
            ProjectWebinar(
                w, by_webinar.get(w.id or 0, []), resources.get(w.id or 0, []), chapters.get(w.id or 0, [])
            )
            for w in webinars
        ],
    )
