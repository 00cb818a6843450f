"""Staff pages for people and projects, without JavaScript (the same edits as people_api.py).

- `/staff/people`: every person (with how many webinars) and every project; forms to add one.
- `/staff/people/{id}`: edit a person (name, affiliation, role, links one per line, photo,
  project) and merge them into another.
- `/staff/projects/{id}`: edit a project.

Forms carry the CSRF token; a refused form comes back with the reason and what was typed.
Every route has `staff_guard`. Changes re-index the webinars whose names they change.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from litestar.types import Guard
from sqlmodel import Session, col, select

from ingest.errors import ArchiveError
from server.accounts.auth import editor_name
from server.accounts.guards import staff_guard
from server.catalog.db import Database
from server.catalog.models import Person, Project
from server.params import RowId
from server.search.service import SearchService
from server.web import people_api
from server.web.routing import page_route
from server.web.staff import STAFF_LINKS, StaffLink

GUARDS: list[Guard] = [staff_guard]

STAFF_LINKS.append(
    StaffLink(
        "staff-people", "People and projects", "One record each across webinars: edit, merge, describe."
    )
)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "_csrf_token"}


def _person_fields(form: dict[str, str]) -> dict[str, Any]:
    """The edit form as the API's fields: links one per line, an empty project for none."""
    fields: dict[str, Any] = {}
    for name in ("name", "affiliation", "role", "photo_url"):
        if name in form:
            fields[name] = form[name]
    if "links" in form:
        fields["links"] = [line.strip() for line in form["links"].splitlines() if line.strip()]
    if "project_id" in form:
        raw = form["project_id"].strip()
        if raw and not raw.isdigit():
            fields["project_id"] = raw  # refused with the reason by the catalogue
        else:
            fields["project_id"] = int(raw) if raw else None
    return fields


def _project_fields(form: dict[str, str]) -> dict[str, Any]:
    return {name: form[name] for name in ("name", "url", "description") if name in form}


def _listing(session: Session) -> dict[str, Any]:
    return {
        "people": people_api.read_people(session, None, 1000).items,
        "projects": people_api.read_projects(session).items,
    }


def _person_page(session: Session, person_id: int) -> dict[str, Any]:
    person = people_api.read_person(session, person_id)
    others = session.exec(
        select(Person.id, Person.name).where(Person.id != person_id).order_by(col(Person.name))
    )
    projects = session.exec(select(Project.id, Project.name).order_by(col(Project.name)))
    return {"person": person, "others": list(others), "projects": list(projects)}


class StaffPeoplePages(Controller):
    path = "/staff/people"
    guards = GUARDS
    include_in_schema = False

    @page_route("/", name="staff-people")
    async def listing(self, db: NamedDependency[Database]) -> Template:
        return await _render(db, "staff/people.html", _listing)

    @post("/", name="staff-people-create", status_code=303)
    async def create(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Any:
        form = await _form(request)
        try:
            person = await db.run(people_api.create_person, _person_fields(form), editor_name(request))
        except ArchiveError as exc:
            return await _render(
                db, "staff/people.html", _listing, error=str(exc), form=form, status=exc.status
            )
        return Redirect(request.app.route_reverse("staff-person", person_id=person.id), status_code=303)

    @page_route("/{person_id:int}", name="staff-person")
    async def person(self, db: NamedDependency[Database], person_id: RowId) -> Template:
        return await _render(db, "staff/person.html", _person_page, person_id)

    @post("/{person_id:int}", name="staff-person-update", status_code=303)
    async def update(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        person_id: RowId,
    ) -> Any:
        form = await _form(request)
        try:
            _, ids = await db.run(
                people_api.update_person, person_id, _person_fields(form), editor_name(request)
            )
        except ArchiveError as exc:
            return await _render(
                db, "staff/person.html", _person_page, person_id, error=str(exc), form=form, status=exc.status
            )
        await people_api.reindex(db, search, ids)
        return Redirect(
            request.app.route_reverse("staff-person", person_id=person_id) + "?saved=1", status_code=303
        )

    @post("/{person_id:int}/merge", name="staff-person-merge", status_code=303)
    async def merge(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        person_id: RowId,
    ) -> Any:
        form = await _form(request)
        into = form.get("into", "").strip()
        try:
            body: dict[str, Any] = {"into": int(into)} if into.isdigit() else {"into": into or None}
            kept, ids = await db.run(people_api.merge_person, person_id, body, editor_name(request))
        except ArchiveError as exc:
            return await _render(
                db, "staff/person.html", _person_page, person_id, merge_error=str(exc), status=exc.status
            )
        await people_api.reindex(db, search, ids)
        return Redirect(
            request.app.route_reverse("staff-person", person_id=kept.id) + "?merged=1", status_code=303
        )


class StaffProjectPages(Controller):
    path = "/staff/projects"
    guards = GUARDS
    include_in_schema = False

    @post("/", name="staff-projects-create", status_code=303)
    async def create(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Any:
        form = await _form(request)
        try:
            project = await db.run(people_api.create_project, _project_fields(form), editor_name(request))
        except ArchiveError as exc:
            return await _render(
                db,
                "staff/people.html",
                _listing,
                project_error=str(exc),
                project_form=form,
                status=exc.status,
            )
        return Redirect(request.app.route_reverse("staff-project", project_id=project.id), status_code=303)

    @page_route("/{project_id:int}", name="staff-project")
    async def project(self, db: NamedDependency[Database], project_id: RowId) -> Template:
        return await _render(db, "staff/project.html", _project_page, project_id)

    @post("/{project_id:int}", name="staff-project-update", status_code=303)
    async def update(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        project_id: RowId,
    ) -> Any:
        form = await _form(request)
        try:
            _, ids = await db.run(
                people_api.update_project, project_id, _project_fields(form), editor_name(request)
            )
        except ArchiveError as exc:
            return await _render(
                db,
                "staff/project.html",
                _project_page,
                project_id,
                error=str(exc),
                form=form,
                status=exc.status,
            )
        await people_api.reindex(db, search, ids)
        return Redirect(
            request.app.route_reverse("staff-project", project_id=project_id) + "?saved=1", status_code=303
        )


def _project_page(session: Session, project_id: int) -> dict[str, Any]:
    return {"project": people_api.read_project(session, project_id)}


async def _render(
    db: Database, template: str, build: Any, *args: Any, status: int = 200, **extra: Any
) -> Template:
    context = await db.run(build, *args)
    defaults: dict[str, Any] = {
        "form": {},
        "error": None,
        "merge_error": None,
        "project_error": None,
        "project_form": {},
    }
    context.update({**defaults, **extra})
    return Template(template_name=template, context=context, status_code=status, media_type=MediaType.HTML)


HANDLERS = [StaffPeoplePages, StaffProjectPages]
