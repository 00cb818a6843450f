"""People and projects across webinars: one record each, however many webinars they appear in.

A person is found by name the way ingest and staff both name them: the exact name, else the
folded name (`person_key`: "Tomasz Nowák" and "tomasz nowak" are one person), else an alias (the
slug they had before a rename or a merge). Projects are found the same way by their names.

- `find_person`, `get_or_create_person`, `find_project`, `get_or_create_project`: for ingest.
- `assign_voice(session, webinar, label, person, editor)`: naming a voice (a diarization label
  of one webinar) picks an existing person (an id) or names a new one (a name); the webinar's
  segments with that label are theirs. Recorded in `edit_history` as one entry on the webinar,
  field `voice.assign` (`{label, person_id, name}` before and after); `revert_voice` undoes one.
- `named_voices` and `keep_voices`: a re-processing's new voice labels get the people staff had
  named, matched to the old voices by the time they speak.
- `create_person`, `update_person`, `merge_people`, `create_project`, `update_project`: the staff's
  edits, each recorded field by field in `edit_history`.

Nothing here commits: the caller owns the unit of work. Refusals are `CatalogError` (400) with
the reason, `NotFoundError` (404), `ConflictError` (409).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ingest.errors import ConflictError, NotFoundError
from server.catalog.db import is_row_id
from server.catalog.models import (
    EditHistory,
    Person,
    PersonAlias,
    Project,
    Segment,
    Webinar,
    WebinarPerson,
    require_id,
    utcnow,
)
from server.catalog.slugs import CatalogError, check_slug, slugify

VOICE_FIELD = "voice.assign"
"""The `edit_history.field` of naming a voice (table `webinar`, row the webinar's id)."""
NAME_MAX = 300
URL_MAX = 2000
LINKS_MAX = 20
TEXT_MAX = 20_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOCAL_PHOTO = re.compile(r"^/photos/([a-z0-9][a-z0-9-]{0,150}-[0-9a-f]{16}\.jpg)$")
"""A photo stored on the site (`server/web/photos.py`): the one `photo_url` that is not an
http(s) address, and the only kind the pages show as an image."""


# --- names and keys -----------------------------------------------------------------------------


def person_key(name: str) -> str | None:
    """The folded form names are matched on (the slug's base); None when nothing is left of the
    name after folding (a name in a script that does not fold to ASCII matches exactly only)."""
    key = slugify(name)
    if key == "webinar" and "webinar" not in name.casefold():  # slugify's stand-in for nothing
        return None
    return key


def clean_name(value: str, what: str = "name") -> str:
    name = " ".join(value.split())
    if not name:
        raise CatalogError(f"{what}: must not be empty")
    if len(name) > NAME_MAX:
        raise CatalogError(f"{what}: at most {NAME_MAX} characters")
    return name


def clean_url(value: str | None, what: str) -> str | None:
    """An http(s) address, or None for an empty value; anything else is refused with the reason."""
    if value is None or not value.strip():
        return None
    url = value.strip()
    if len(url) > URL_MAX:
        raise CatalogError(f"{what}: at most {URL_MAX} characters")
    if _CONTROL.search(url) or " " in url:
        raise CatalogError(f"{what}: an address has no spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise CatalogError(f"{what}: expected an http:// or https:// address, got {url[:80]!r}")
    return url


def clean_text(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > TEXT_MAX:
        raise CatalogError(f"{what}: at most {TEXT_MAX} characters")
    return value.strip()


def _slug_taken(session: Session, slug: str, exclude_id: int | None = None) -> bool:
    query = select(Person.id).where(Person.slug == slug)
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    if session.exec(query).first() is not None:
        return True
    alias = session.get(PersonAlias, slug)
    return alias is not None and alias.person_id != exclude_id


def unique_person_slug(session: Session, name: str, exclude_id: int | None = None) -> str:
    base = person_key(name) or "person"
    slug, n = base, 2
    while _slug_taken(session, slug, exclude_id):
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- finding ---------------------------------------------------------------------------------


def find_person(session: Session, name: str) -> Person | None:
    """The person called `name`: exactly, else by the folded name, else by an old name's alias."""
    name = " ".join(name.split())
    person = session.exec(select(Person).where(Person.name == name)).first()
    if person is not None:
        return person
    key = person_key(name)
    if key is None:
        return None
    person = session.exec(select(Person).where(Person.slug == key)).first()
    if person is not None:
        return person
    alias = session.get(PersonAlias, key)
    return session.get(Person, alias.person_id) if alias is not None else None


def person_by_slug(session: Session, slug: str) -> tuple[Person | None, bool]:
    """The person at `/speakers/<slug>`, and whether `slug` is an old one (an alias to redirect)."""
    person = session.exec(select(Person).where(Person.slug == slug)).first()
    if person is not None:
        return person, False
    alias = session.get(PersonAlias, slug)
    if alias is not None:
        return session.get(Person, alias.person_id), True
    return None, False


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id) if is_row_id(person_id) else None
    if person is None:
        raise NotFoundError(f"no person with id {person_id}")
    return person


RowT = TypeVar("RowT", Person, Project)

INSERT_TRIES = 3


def _insert_or_find(session: Session, make: Callable[[], RowT], find: Callable[[], RowT | None]) -> RowT:
    """Insert the row `make` builds, or, when another process inserted the same one first, the
    one it inserted.

    Two workers storing webinars with the same speaker at the same moment both find no person
    and both insert one; on PostgreSQL the second insert waits for the first transaction and
    then fails on the unique name. The insert runs in a SAVEPOINT, so that failure rolls back
    only the insert, and the row the other process committed is found and used. On SQLite (one
    machine, one worker by default) the insert stays plain: pysqlite's SAVEPOINTs would need its
    own transaction handling switched off, which the catalogue does not do.
    """
    session.flush()  # what was pending before stays outside the savepoint
    if session.get_bind().dialect.name == "sqlite":
        row = make()
        session.add(row)
        session.flush()
        return row
    for _ in range(INSERT_TRIES):
        try:
            with session.begin_nested():
                row = make()
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            found = find()
            if found is not None:
                return found
    raise ConflictError("another process keeps creating the same person or project: try again")


def get_or_create_person(
    session: Session, name: str, *, affiliation: str | None = None, project: str | None = None
) -> Person:
    """The person called `name` (see `find_person`), made if new; a given affiliation or project
    updates theirs (the newest metadata wins; a missing value erases nothing)."""
    name = clean_name(name)
    person = find_person(session, name)
    if person is None:
        person = _insert_or_find(
            session,
            lambda: Person(name=name, slug=unique_person_slug(session, name), affiliation=affiliation),
            lambda: find_person(session, name),
        )
        if affiliation:
            person.affiliation = affiliation
    elif affiliation:
        person.affiliation = affiliation
    if project and project.strip():
        set_person_project(person, get_or_create_project(session, project))
    session.flush()
    return person


def set_person_project(person: Person, project: Project | None) -> None:
    """Link the person to a project; `person.project` keeps its name for the text-only readers."""
    person.project_id = project.id if project is not None else None
    person.project = project.name if project is not None else None


def find_project(session: Session, name: str) -> Project | None:
    name = " ".join(name.split())
    project = session.exec(select(Project).where(Project.name == name)).first()
    if project is not None:
        return project
    key = person_key(name)
    return session.exec(select(Project).where(Project.slug == key)).first() if key else None


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id) if is_row_id(project_id) else None
    if project is None:
        raise NotFoundError(f"no project with id {project_id}")
    return project


def _unique_project_slug(session: Session, name: str) -> str:
    base = person_key(name) or "project"
    taken = set(session.exec(select(Project.slug).where(col(Project.slug).like(f"{base}%"))).all())
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def get_or_create_project(session: Session, name: str) -> Project:
    """The project called `name` (exactly or by its folded name), made if new."""
    name = clean_name(name, "project")
    project = find_project(session, name)
    if project is None:
        project = _insert_or_find(
            session,
            lambda: Project(name=name, slug=_unique_project_slug(session, name)),
            lambda: find_project(session, name),
        )
    return project


# --- history --------------------------------------------------------------------------------


def _record(session: Session, table: str, row_id: int, field: str, old: Any, new: Any, editor: str) -> None:
    session.add(
        EditHistory(table_name=table, row_id=row_id, field=field, old_value=old, new_value=new, editor=editor)
    )


# --- naming a voice -------------------------------------------------------------------------


def _voice(person: Person | None, label: str) -> dict[str, Any]:
    if person is None:
        return {"label": label, "person_id": None, "name": None}
    return {"label": label, "person_id": person.id, "name": person.name}


def assign_voice(
    session: Session, webinar: Webinar, speaker_label: str, person: int | str | None, editor: str
) -> Person | None:
    """Name the voice `speaker_label` of `webinar`: `person` is an existing person's id, or a
    name (an existing person's, matched as ingest matches, else a new person's), or None to
    unname it. Every segment of the webinar with that label becomes theirs; the person is
    listed among the webinar's speakers with the label (another person who had it keeps their
    place in the list without it). Recorded as one `edit_history` entry (table `webinar`, field
    `voice.assign`). Returns the person (None when unnamed)."""
    webinar_id = require_id(webinar)
    label = speaker_label.strip()
    used = session.execute(
        sa_select(func.count())
        .select_from(Segment)
        .where(col(Segment.webinar_id) == webinar_id, col(Segment.speaker_label) == label)
    ).scalar_one()
    links = list(session.exec(select(WebinarPerson).where(WebinarPerson.webinar_id == webinar_id)))
    current = next((link for link in links if link.speaker_label == label), None)
    if not label or (not used and current is None):
        raise NotFoundError(f"webinar {webinar.slug!r} has no voice labelled {speaker_label!r}")
    target: Person | None
    if person is None:
        target = None
    elif isinstance(person, int):
        target = get_person(session, person)
    else:
        target = get_or_create_person(session, person)
    before = session.get(Person, current.person_id) if current is not None else None
    if target is not None and before is not None and before.id == target.id:
        return target
    if current is not None:
        current.speaker_label = None
        session.add(current)
    if target is not None:
        target_id = require_person_id(target)
        own = next((link for link in links if link.person_id == target_id), None)
        if own is None:
            position = max((link.position for link in links), default=-1) + 1
            own = WebinarPerson(webinar_id=webinar_id, person_id=target_id, position=position)
        own.speaker_label = label
        session.add(own)
    session.execute(
        update(Segment)
        .where(col(Segment.webinar_id) == webinar_id, col(Segment.speaker_label) == label)
        .values(person_id=target.id if target is not None else None)
        .execution_options(synchronize_session=False)
    )
    _record(session, "webinar", webinar_id, VOICE_FIELD, _voice(before, label), _voice(target, label), editor)
    webinar.updated_at = utcnow()
    session.add(webinar)
    session.flush()
    return target


def revert_voice(session: Session, entry: EditHistory, editor: str) -> EditHistory:
    """Undo a `voice.assign` history row: the voice goes back to the person it had (a new row
    of the same field records it). 409 when the voice was named again since; a person merged
    away since is found by their old name's alias, so the voice goes to whom they became."""
    if entry.table_name != "webinar" or entry.field != VOICE_FIELD:
        raise CatalogError(f"history entry {entry.id} is not a voice assignment")
    webinar = session.get(Webinar, entry.row_id)
    if webinar is None:
        raise NotFoundError(f"the webinar of history entry {entry.id} no longer exists")
    old, new = dict(entry.old_value or {}), dict(entry.new_value or {})
    label = str(new.get("label") or old.get("label") or "")
    link = session.exec(
        select(WebinarPerson).where(
            WebinarPerson.webinar_id == entry.row_id, WebinarPerson.speaker_label == label
        )
    ).first()
    current = link.person_id if link is not None else None
    if current != new.get("person_id"):
        raise ConflictError(
            f"voice {label!r} was named again since entry {entry.id}: revert the later entry first"
        )
    previous = old.get("person_id")
    if previous is not None and session.get(Person, previous) is None:
        previous = old.get("name")  # merged away: the name finds the person it became (an alias)
    assign_voice(session, webinar, label, previous, editor)
    newest = session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar", EditHistory.row_id == entry.row_id)
        .order_by(col(EditHistory.id).desc())
    ).first()
    assert newest is not None
    return newest


# --- named voices kept through a re-processing ---------------------------------------------------


KEEP_VOICE_SHARE = 0.5
"""A new voice takes an old voice's person when more than this share of its speaking time falls
within that old voice's segments."""


@dataclass(frozen=True)
class NamedVoice:
    """A voice staff named, with the times it spoke (its segments' spans), taken before the
    transcript is replaced."""

    label: str
    person_id: int
    spans: list[tuple[float, float]]


def named_voices(session: Session, webinar_id: int) -> list[NamedVoice]:
    """The voices whose newest `voice.assign` named a person who still has the label (so not
    unnamed, nor named again since, nor given to someone else by a re-processing), with the
    spans they speak."""
    newest: dict[str, Any] = {}
    for row in session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar", EditHistory.row_id == webinar_id)
        .where(EditHistory.field == VOICE_FIELD)
        .order_by(col(EditHistory.id))
    ):
        new = row.new_value if isinstance(row.new_value, dict) else {}
        if new.get("label"):
            newest[str(new["label"])] = new.get("person_id")
    links = {
        link.speaker_label: link.person_id
        for link in session.exec(select(WebinarPerson).where(WebinarPerson.webinar_id == webinar_id))
        if link.speaker_label
    }
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for label, start, end in session.execute(
        sa_select(col(Segment.speaker_label), col(Segment.start), col(Segment.end)).where(
            col(Segment.webinar_id) == webinar_id, col(Segment.speaker_label).in_(list(newest))
        )
    ):
        spans[label].append((start, end))
    return [
        NamedVoice(label, links[label], sorted(spans[label]))
        for label, person_id in newest.items()
        if person_id is not None
        and label in links
        # the person named, or the one they were merged into; not someone a new run put there
        and (links[label] == person_id or session.get(Person, person_id) is None)
        and spans[label]
    ]


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds that two sorted lists of spans share (spans within one list do not overlap)."""
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def keep_voices(
    session: Session, webinar: Webinar, voices: list[NamedVoice], editor: str
) -> list[tuple[str, int]]:
    """Name the new transcript's voices after the people staff had named (`named_voices`, taken
    before it was replaced): a new voice takes the person of the old voice it mostly speaks
    within (more than `KEEP_VOICE_SHARE` of its time), since a new diarization numbers voices
    afresh. Staff's naming wins over a name the new run gave. Each is an `assign_voice`, so it is
    in the history (by `editor`) and kept again by the next re-processing. Returns the new
    labels named and their people."""
    webinar_id = require_id(webinar)
    if not voices:
        return []
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for label, start, end in session.execute(
        sa_select(col(Segment.speaker_label), col(Segment.start), col(Segment.end)).where(
            col(Segment.webinar_id) == webinar_id, col(Segment.speaker_label).is_not(None)
        )
    ):
        spans[label].append((start, end))
    chosen: list[tuple[str, int]] = []
    for label, own in sorted(spans.items()):
        own.sort()
        spoken = sum(end - start for start, end in own)
        best = max(voices, key=lambda v: _overlap(own, v.spans))
        if spoken > 0 and _overlap(own, best.spans) > KEEP_VOICE_SHARE * spoken:
            chosen.append((label, best.person_id))
    kept: list[tuple[str, int]] = []
    for label, person_id in chosen:
        if session.get(Person, person_id) is not None:
            assign_voice(session, webinar, label, person_id, editor)
            kept.append((label, person_id))
    return kept


def require_person_id(person: Person) -> int:
    if person.id is None:
        raise RuntimeError("person has no id yet")
    return person.id


# --- staff edits ----------------------------------------------------------------------------

PERSON_FIELDS = ("name", "affiliation", "role", "links", "photo_url", "project_id")
PROJECT_FIELDS = ("name", "slug", "url", "description")


def _clean_person_fields(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            if not isinstance(value, str):
                raise CatalogError("name: expected text")
            out[field] = clean_name(value)
        elif field in ("affiliation", "role"):
            if value is not None and not isinstance(value, str):
                raise CatalogError(f"{field}: expected text or null")
            out[field] = clean_text(value, field)
        elif field == "photo_url":
            if value is not None and not isinstance(value, str):
                raise CatalogError("photo_url: expected an address or null")
            local = value is not None and LOCAL_PHOTO.match(value.strip())
            out[field] = value.strip() if local and value is not None else clean_url(value, "photo_url")
        elif field == "links":
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise CatalogError("links: expected a list of addresses")
            if len(value) > LINKS_MAX:
                raise CatalogError(f"links: at most {LINKS_MAX}")
            links = [clean_url(v, f"links[{i}]") for i, v in enumerate(value)]
            out[field] = list(dict.fromkeys(v for v in links if v))
        elif field == "project_id":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise CatalogError("project_id: expected a project's id or null")
            if value is not None:
                get_project(session, value)
            out[field] = value
        else:
            raise CatalogError(f"{field}: not a field of a person ({', '.join(PERSON_FIELDS)})")
    return out


def _check_name_free(session: Session, name: str, person_id: int | None) -> None:
    other = find_person(session, name)
    if other is not None and other.id != person_id:
        raise ConflictError(
            f"name: {other.name!r} is already person {other.id} (/speakers/{other.slug}); "
            f"merge the two (POST /api/people/{person_id or '{id}'}/merge) rather than name a second one"
        )


def create_person(session: Session, fields: dict[str, Any], editor: str) -> Person:
    if "name" not in fields:
        raise CatalogError("name: required")
    values = _clean_person_fields(session, fields)
    _check_name_free(session, values["name"], None)
    project_id = values.pop("project_id", None)
    person = Person(slug=unique_person_slug(session, values["name"]), **values)
    if project_id is not None:
        set_person_project(person, get_project(session, project_id))
    session.add(person)
    session.flush()
    _record(session, "person", require_person_id(person), "created", None, person_record(person), editor)
    session.flush()
    return person


def update_person(session: Session, person: Person, changes: dict[str, Any], editor: str) -> Person:
    """Apply a staff edit, each changed field recorded; a new name gives a new slug and keeps the
    old one as an alias (old links redirect)."""
    person_id = require_person_id(person)
    values = _clean_person_fields(session, changes)
    for field, value in values.items():
        old = getattr(person, field)
        if old == value:
            continue
        if field == "name":
            _check_name_free(session, value, person_id)
            slug = unique_person_slug(session, value, exclude_id=person_id)
            if slug != person.slug:
                session.execute(delete(PersonAlias).where(col(PersonAlias.slug) == slug))
                session.add(PersonAlias(slug=person.slug, person_id=person_id))
                _record(session, "person", person_id, "slug", person.slug, slug, editor)
                person.slug = slug
        if field == "project_id":
            set_person_project(person, get_project(session, value) if value is not None else None)
        else:
            setattr(person, field, value)
        _record(session, "person", person_id, field, old, value, editor)
    session.add(person)
    session.flush()
    _touch_webinars(session, person_id)
    return person


def _touch_webinars(session: Session, person_id: int) -> None:
    """The person's webinars changed for the pages' caches and the index (keyed by updated_at)."""
    session.execute(
        update(Webinar)
        .where(
            col(Webinar.id).in_(
                sa_select(col(WebinarPerson.webinar_id)).where(col(WebinarPerson.person_id) == person_id)
            )
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def person_webinar_ids(session: Session, person_id: int) -> list[int]:
    return list(
        session.execute(
            sa_select(col(WebinarPerson.webinar_id)).where(col(WebinarPerson.person_id) == person_id)
        ).scalars()
    )


def person_record(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "slug": person.slug,
        "affiliation": person.affiliation,
        "role": person.role,
        "links": list(person.links),
        "photo_url": person.photo_url,
        "project_id": person.project_id,
    }


def merge_people(session: Session, source: Person, target: Person, editor: str) -> Person:
    """Merge `source` into `target`: its webinars, voices, segments and aliases become the
    target's, the target's empty fields take the source's values, links are joined, and the
    source's slug and name answer as aliases of the target. The source row is deleted; the
    history keeps what it was (table `person`, field `merged` on the target, `merged_into` on
    the source)."""
    source_id, target_id = require_person_id(source), require_person_id(target)
    if source_id == target_id:
        raise CatalogError("into: a person cannot be merged into themselves")
    snapshot = person_record(source)
    snapshot["webinars"] = person_webinar_ids(session, source_id)
    target_links = {
        link.webinar_id: link
        for link in session.exec(select(WebinarPerson).where(WebinarPerson.person_id == target_id))
    }
    for link in list(session.exec(select(WebinarPerson).where(WebinarPerson.person_id == source_id))):
        own = target_links.get(link.webinar_id)
        if own is None:
            session.add(
                WebinarPerson(
                    webinar_id=link.webinar_id,
                    person_id=target_id,
                    role=link.role,
                    speaker_label=link.speaker_label,
                    position=link.position,
                )
            )
        else:
            own.speaker_label = own.speaker_label or link.speaker_label
            own.role = own.role or link.role
            own.position = min(own.position, link.position)
            session.add(own)
        session.delete(link)
    session.flush()
    session.execute(
        update(Segment)
        .where(col(Segment.person_id) == source_id)
        .values(person_id=target_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(PersonAlias)
        .where(col(PersonAlias.person_id) == source_id)
        .values(person_id=target_id)
        .execution_options(synchronize_session=False)
    )
    before = person_record(target)
    for field in ("affiliation", "role", "photo_url"):
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
    if target.project_id is None and source.project_id is not None:
        target.project_id, target.project = source.project_id, source.project
    target.links = list(dict.fromkeys([*target.links, *source.links]))
    aliases = {source.slug}
    key = person_key(source.name)
    if key:
        aliases.add(key)
    session.delete(source)
    session.flush()
    for slug in aliases - {target.slug}:
        if session.get(PersonAlias, slug) is None:
            session.add(PersonAlias(slug=slug, person_id=target_id))
    after = person_record(target)
    after["merged_from"] = source_id
    _record(session, "person", target_id, "merged", {"target": before, "source": snapshot}, after, editor)
    _record(session, "person", source_id, "merged_into", snapshot, {"into": target_id}, editor)
    session.add(target)
    session.flush()
    _touch_webinars(session, target_id)
    return target


def _clean_project_fields(
    session: Session, changes: dict[str, Any], project_id: int | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "name":
            if not isinstance(value, str):
                raise CatalogError("name: expected text")
            out[field] = clean_name(value)
        elif field == "slug":
            if not isinstance(value, str):
                raise CatalogError("slug: expected text")
            out[field] = check_slug(value)
            other = session.exec(select(Project).where(Project.slug == value)).first()
            if other is not None and other.id != project_id:
                raise ConflictError(f"slug: {value!r} is already project {other.id}")
        elif field == "url":
            if value is not None and not isinstance(value, str):
                raise CatalogError("url: expected an address or null")
            out[field] = clean_url(value, "url")
        elif field == "description":
            if value is not None and not isinstance(value, str):
                raise CatalogError("description: expected text or null")
            out[field] = clean_text(value, "description")
        else:
            raise CatalogError(f"{field}: not a field of a project ({', '.join(PROJECT_FIELDS)})")
    if "name" in out:
        other = find_project(session, out["name"])
        if other is not None and other.id != project_id:
            raise ConflictError(
                f"name: {other.name!r} is already project {other.id} (/projects/{other.slug})"
            )
    return out


def require_project_id(project: Project) -> int:
    if project.id is None:
        raise RuntimeError("project has no id yet")
    return project.id


def project_record(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "slug": project.slug,
        "url": project.url,
        "description": project.description,
    }


def create_project(session: Session, fields: dict[str, Any], editor: str) -> Project:
    if "name" not in fields:
        raise CatalogError("name: required")
    values = _clean_project_fields(session, fields, None)
    values.setdefault("slug", _unique_project_slug(session, values["name"]))
    project = Project(**values)
    session.add(project)
    session.flush()
    _record(session, "project", require_project_id(project), "created", None, project_record(project), editor)
    session.flush()
    return project


def update_project(session: Session, project: Project, changes: dict[str, Any], editor: str) -> Project:
    """A staff edit, each changed field recorded; the slug stays on a rename unless `slug` is given.
    A new name is copied to its people's `project` text."""
    project_id = require_project_id(project)
    values = _clean_project_fields(session, changes, project_id)
    for field, value in values.items():
        old = getattr(project, field)
        if old == value:
            continue
        setattr(project, field, value)
        _record(session, "project", project_id, field, old, value, editor)
    session.add(project)
    if "name" in values:
        session.execute(
            update(Person)
            .where(col(Person.project_id) == project_id)
            .values(project=project.name)
            .execution_options(synchronize_session=False)
        )
        for person_id in session.exec(select(Person.id).where(Person.project_id == project_id)).all():
            if person_id is not None:
                _touch_webinars(session, person_id)
    session.flush()
    return project
