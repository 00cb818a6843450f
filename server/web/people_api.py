"""The staff's API for people and projects across the archive (server/catalog/people.py).

| Route (staff) | Does |
| --- | --- |
| `GET /api/people?q=`, `POST /api/people` | list (by name), create (fields below) |
| `GET /api/people/{id}`, `PATCH /api/people/{id}` | one person; edit any of the fields |
| `POST /api/people/{id}/merge` `{into}` | merge the person into `into`; their old slug redirects |
| `PUT /api/webinars/{slug}/voices/{label}` `{person_id}` or `{name}` | name a voice (null: unname it) |
| `GET /api/projects`, `POST /api/projects` | list, create (`name`, `url`, `description`, `slug`) |
| `GET /api/projects/{id}`, `PATCH /api/projects/{id}` | one project; edit it |

A person's fields: `name`, `affiliation`, `role`, `links` (addresses), `photo_url`, `project_id`.
Every route has `staff_guard` (401 anonymous, 403 without a staff role); a session cookie's
writes need the CSRF token (`X-CSRFToken`), a Bearer token's do not. Refusals are problem
details: 400 with the reason (the field first), 404, 409 for a name already taken. Text is
stored as given and escaped where shown; addresses must be http(s). Webinars whose speakers
change are re-indexed (search shows names), or left `index_pending` when Meilisearch is down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import Guard
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ingest.errors import NotFoundError
from server.accounts.auth import editor_name
from server.accounts.guards import staff_guard
from server.catalog import people
from server.catalog.db import Database
from server.catalog.models import (
    STATUS_INDEX_PENDING,
    STATUS_READY,
    Person,
    Project,
    Webinar,
    WebinarPerson,
    require_id,
)
from server.catalog.slugs import CatalogError
from server.jobs.api import _reindex
from server.params import RowId
from server.search.service import SearchService

log = logging.getLogger(__name__)

GUARDS: list[Guard] = [staff_guard]


@dataclass(frozen=True)
class ProjectRef:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class PersonOut:
    id: int
    name: str
    slug: str
    affiliation: str | None
    role: str | None
    links: list[str]
    photo_url: str | None
    project: ProjectRef | None
    webinars: int
    """How many webinars they take part in (drafts included)."""
    page: str


@dataclass(frozen=True)
class PersonList:
    items: list[PersonOut]


@dataclass(frozen=True)
class ProjectOut:
    id: int
    name: str
    slug: str
    url: str | None
    description: str | None
    people: int
    page: str


@dataclass(frozen=True)
class ProjectList:
    items: list[ProjectOut]


@dataclass(frozen=True)
class VoiceOut:
    webinar: str
    label: str
    person: PersonOut | None


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CatalogError("the body must be a JSON object")
    return data


# --- database units --------------------------------------------------------------------------


def _person_out(session: Session, person: Person) -> PersonOut:
    person_id = people.require_person_id(person)
    project = session.get(Project, person.project_id) if person.project_id is not None else None
    count = session.execute(
        sa_select(func.count()).select_from(WebinarPerson).where(col(WebinarPerson.person_id) == person_id)
    ).scalar_one()
    return PersonOut(
        id=person_id,
        name=person.name,
        slug=person.slug,
        affiliation=person.affiliation,
        role=person.role,
        links=list(person.links),
        photo_url=person.photo_url,
        project=ProjectRef(people.require_project_id(project), project.name, project.slug)
        if project
        else None,
        webinars=count,
        page=f"/speakers/{person.slug}",
    )


def _project_out(session: Session, project: Project) -> ProjectOut:
    project_id = people.require_project_id(project)
    count = session.execute(
        sa_select(func.count()).select_from(Person).where(col(Person.project_id) == project_id)
    ).scalar_one()
    return ProjectOut(
        project_id,
        project.name,
        project.slug,
        project.url,
        project.description,
        count,
        f"/projects/{project.slug}",
    )


def read_people(session: Session, q: str | None, limit: int) -> PersonList:
    query = select(Person).order_by(col(Person.name)).limit(limit)
    if q and q.strip():
        query = query.where(func.lower(col(Person.name)).contains(q.strip().lower(), autoescape=True))
    return PersonList([_person_out(session, p) for p in session.exec(query)])


def read_person(session: Session, person_id: int) -> PersonOut:
    return _person_out(session, people.get_person(session, person_id))


def create_person(session: Session, data: dict[str, Any], editor: str) -> PersonOut:
    person = people.create_person(session, data, editor)
    out = _person_out(session, person)
    session.commit()
    return out


def update_person(
    session: Session, person_id: int, data: dict[str, Any], editor: str
) -> tuple[PersonOut, list[int]]:
    person = people.update_person(session, people.get_person(session, person_id), data, editor)
    out = _person_out(session, person)
    ids = people.person_webinar_ids(session, person_id)
    session.commit()
    return out, ids


def merge_person(
    session: Session, person_id: int, data: dict[str, Any], editor: str
) -> tuple[PersonOut, list[int]]:
    into = data.get("into")
    if into is None:
        raise CatalogError("into: required (the id of the person to keep)")
    if not isinstance(into, int) or isinstance(into, bool):
        raise CatalogError("into: expected a person's id")
    source = people.get_person(session, person_id)
    target = people.get_person(session, into)
    merged = people.merge_people(session, source, target, editor)
    out = _person_out(session, merged)
    ids = people.person_webinar_ids(session, into)
    session.commit()
    return out, ids


def _assign(
    session: Session, slug: str, label: str, data: dict[str, Any], editor: str
) -> tuple[VoiceOut, int]:
    webinar = session.exec(select(Webinar).where(Webinar.slug == slug)).first()
    if webinar is None:
        raise NotFoundError(f"no webinar with slug {slug!r}")
    person_id, name = data.get("person_id"), data.get("name")
    if person_id is not None and name is not None:
        raise CatalogError("give person_id (an existing person) or name (a new or known name), not both")
    target: int | str | None
    if person_id is not None:
        if not isinstance(person_id, int) or isinstance(person_id, bool):
            raise CatalogError("person_id: expected a person's id")
        target = person_id
    elif name is not None:
        if not isinstance(name, str):
            raise CatalogError("name: expected text")
        target = name
    elif "person_id" in data or "name" in data:
        target = None  # an explicit null unnames the voice
    else:
        raise CatalogError("person_id or name: required (null to unname the voice)")
    person = people.assign_voice(session, webinar, label, target, editor)
    out = VoiceOut(webinar.slug, label, _person_out(session, person) if person is not None else None)
    webinar_id = require_id(webinar)
    session.commit()
    return out, webinar_id


def read_projects(session: Session) -> ProjectList:
    return ProjectList(
        [_project_out(session, p) for p in session.exec(select(Project).order_by(col(Project.name)))]
    )


def read_project(session: Session, project_id: int) -> ProjectOut:
    return _project_out(session, people.get_project(session, project_id))


def create_project(session: Session, data: dict[str, Any], editor: str) -> ProjectOut:
    out = _project_out(session, people.create_project(session, data, editor))
    session.commit()
    return out


def update_project(
    session: Session, project_id: int, data: dict[str, Any], editor: str
) -> tuple[ProjectOut, list[int]]:
    project = people.update_project(session, people.get_project(session, project_id), data, editor)
    out = _project_out(session, project)
    ids = list(
        session.execute(
            sa_select(col(WebinarPerson.webinar_id))
            .join(Person, col(Person.id) == col(WebinarPerson.person_id))
            .where(col(Person.project_id) == project_id)
            .distinct()
        ).scalars()
    )
    session.commit()
    return out, ids if "name" in data else []


def _stored(session: Session, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return list(
        session.execute(
            sa_select(col(Webinar.id)).where(
                col(Webinar.id).in_(ids), col(Webinar.status).in_((STATUS_READY, STATUS_INDEX_PENDING))
            )
        ).scalars()
    )


async def reindex(db: Database, search: SearchService, ids: list[int]) -> None:
    """Search follows a change of names, webinar by webinar, as every staff edit does
    (`server.jobs.api._reindex`: Meilisearch down leaves a webinar `index_pending`)."""
    for webinar_id in await db.run(_stored, ids):
        await _reindex(db, search, webinar_id)


# --- controllers -----------------------------------------------------------------------------


class PeopleController(Controller):
    path = "/api/people"
    tags = ["people"]  # noqa: RUF012
    guards = GUARDS

    @get("/", summary="People across the archive, by name (`q`: a part of the name)")
    async def list_people(
        self,
        db: NamedDependency[Database],
        q: Annotated[str | None, QueryParameter(description="a part of the name")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> PersonList:
        return await db.run(read_people, q, limit)

    @post("/", status_code=201, summary="Add a person")
    async def create(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], data: JSONBody[Any]
    ) -> PersonOut:
        return await db.run(create_person, _body(data), editor_name(request))

    @get("/{person_id:int}", summary="One person")
    async def one(self, db: NamedDependency[Database], person_id: RowId) -> PersonOut:
        return await db.run(read_person, person_id)

    @patch("/{person_id:int}", summary="Edit a person (a new name keeps the old page as a redirect)")
    async def update(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        person_id: RowId,
        data: JSONBody[Any],
    ) -> PersonOut:
        out, ids = await db.run(update_person, person_id, _body(data), editor_name(request))
        await reindex(db, search, ids)
        return out

    @post("/{person_id:int}/merge", status_code=200, summary="Merge this person into `into`")
    async def merge(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        person_id: RowId,
        data: JSONBody[Any],
    ) -> PersonOut:
        out, ids = await db.run(merge_person, person_id, _body(data), editor_name(request))
        await reindex(db, search, ids)
        return out


class VoiceController(Controller):
    path = "/api/webinars/{slug:str}/voices"
    tags = ["people"]  # noqa: RUF012
    guards = GUARDS

    @put("/{label:str}", summary="Name a voice: an existing person (`person_id`) or a name (`name`)")
    async def assign(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        label: FromPath[str],
        data: JSONBody[Any],
    ) -> VoiceOut:
        out, webinar_id = await db.run(_assign, slug, label, _body(data), editor_name(request))
        await reindex(db, search, [webinar_id])
        return out


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["projects"]  # noqa: RUF012
    guards = GUARDS

    @get("/", summary="Projects and organisations, by name")
    async def list_projects(self, db: NamedDependency[Database]) -> ProjectList:
        return await db.run(read_projects)

    @post("/", status_code=201, summary="Add a project")
    async def create(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], data: JSONBody[Any]
    ) -> ProjectOut:
        return await db.run(create_project, _body(data), editor_name(request))

    @get("/{project_id:int}", summary="One project")
    async def one(self, db: NamedDependency[Database], project_id: RowId) -> ProjectOut:
        return await db.run(read_project, project_id)

    @patch("/{project_id:int}", summary="Edit a project")
    async def update(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        project_id: RowId,
        data: JSONBody[Any],
    ) -> ProjectOut:
        out, ids = await db.run(update_project, project_id, _body(data), editor_name(request))
        await reindex(db, search, ids)
        return out


HANDLERS = [PeopleController, VoiceController, ProjectController]
