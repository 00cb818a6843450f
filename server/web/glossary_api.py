"""The archive's glossary for staff (server/catalog/glossary.py): the API and a page without JavaScript.

| Route (staff) | Does |
| --- | --- |
| `GET /api/glossary` | `{items: [{term, sources, corrections, was, webinars, entries}], removed,
  vocabulary}` |
| `POST /api/glossary` `{term}` | `201` the term: confirmed, in the next transcriptions' vocabulary |
| `DELETE /api/glossary?term=` | `{removed}`: out of the vocabulary, whatever taught it (404 if absent) |
| `/staff/glossary` | the same as a page: every term and where it comes from; add, remove |

`vocabulary` is what the next transcription gets as `PipelineOptions.extra_vocabulary` (the
worker and `webinar-archive ingest`). Every route has `staff_guard` (401 anonymous, 403 without
a staff role or, with the session cookie, without the CSRF token); refusals are problem details
(400 with the reason, 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import Guard
from sqlmodel import Session

from ingest.errors import ArchiveError, InputError
from server.accounts.auth import editor_name
from server.accounts.guards import staff_guard
from server.catalog import glossary
from server.catalog.db import Database
from server.web.routing import page_route
from server.web.staff import STAFF_LINKS, StaffLink

GUARDS: list[Guard] = [staff_guard]

STAFF_LINKS.append(
    StaffLink(
        "staff-glossary",
        "Glossary",
        "Names and terms the next transcriptions are taught: from corrections, people and projects.",
    )
)


@dataclass(frozen=True)
class GlossaryOut:
    items: list[dict[str, Any]]
    removed: list[str]
    vocabulary: list[str]
    """What the next transcription is given, in this order (at most `MAX_INGEST_TERMS`)."""


def read_glossary(session: Session) -> GlossaryOut:
    built = glossary.build_glossary(session)
    return GlossaryOut(
        items=[t.as_dict() for t in built.terms],
        removed=built.removed,
        vocabulary=[t.term for t in built.terms[: glossary.MAX_INGEST_TERMS]],
    )


def add_term(session: Session, term: Any, editor: str) -> dict[str, Any]:
    out = glossary.add_term(session, term, editor).as_dict()
    session.commit()
    return out


def remove_term(session: Session, term: Any, editor: str) -> str:
    removed = glossary.remove_term(session, term, editor)
    session.commit()
    return removed


def _term_of(data: Any) -> Any:
    if not isinstance(data, dict):
        raise InputError("the body must be a JSON object with `term`")
    return data.get("term")


class GlossaryController(Controller):
    path = "/api/glossary"
    tags = ["glossary"]  # noqa: RUF012
    guards = GUARDS

    @get("/", summary="The archive's glossary: every term, where it comes from, and the vocabulary")
    async def listing(self, db: NamedDependency[Database]) -> GlossaryOut:
        return await db.run(read_glossary)

    @post("/", status_code=201, summary="Confirm a term (added to the next transcriptions' vocabulary)")
    async def add(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], data: JSONBody[Any]
    ) -> dict[str, Any]:
        return await db.run(add_term, _term_of(data), editor_name(request))

    @delete("/", status_code=200, summary="Remove a term from the vocabulary, whatever taught it")
    async def remove(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        term: Annotated[str, QueryParameter(description="the term, case ignored")],
    ) -> dict[str, str]:
        return {"removed": await db.run(remove_term, term, editor_name(request))}


class GlossaryPage(Controller):
    path = "/staff/glossary"
    guards = GUARDS
    include_in_schema = False

    @page_route("/", name="staff-glossary")
    async def page(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Template:
        done = {k: str(v) for k in ("added", "removed") if (v := request.query_params.get(k))}
        return await _render(db, done=done)

    @post("/", name="staff-glossary-add", status_code=303)
    async def add(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Any:
        form = await request.form()
        term = form.get("term")
        try:
            added = await db.run(add_term, term, editor_name(request))
        except ArchiveError as exc:
            return await _render(
                db, error=str(exc), typed=term if isinstance(term, str) else "", status=exc.status
            )
        return Redirect(
            request.app.route_reverse("staff-glossary") + "?" + _query("added", added["term"]),
            status_code=303,
        )

    @post("/remove", name="staff-glossary-remove", status_code=303)
    async def remove(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Any:
        form = await request.form()
        try:
            removed = await db.run(remove_term, form.get("term"), editor_name(request))
        except ArchiveError as exc:
            return await _render(db, error=str(exc), status=exc.status)
        return Redirect(
            request.app.route_reverse("staff-glossary") + "?" + _query("removed", removed), status_code=303
        )


def _query(key: str, value: str) -> str:
    from urllib.parse import urlencode

    return urlencode({key: value})


async def _render(
    db: Database,
    *,
    error: str | None = None,
    typed: str = "",
    done: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    out = await db.run(read_glossary)
    context = {"glossary": out, "error": error, "typed": typed, "done": done or {}}
    return Template(
        template_name="staff/glossary.html", context=context, status_code=status, media_type=MediaType.HTML
    )


HANDLERS = [GlossaryController, GlossaryPage]
