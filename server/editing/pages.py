"""The staff's history page of a webinar (`/staff/webinars/{slug}/history`), with a Revert
button per entry: plain forms with the CSRF token, so it works without JavaScript."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from ingest.errors import ArchiveError
from server.catalog import corrections
from server.catalog.db import Database
from server.catalog.models import Webinar
from server.editing.api import _editor, _follow, _revert, _webinar
from server.jobs.api import STAFF_GUARDS
from server.search.service import SearchService
from server.web.routing import page_route


def _page(session: Session, slug: str) -> tuple[Webinar, list[corrections.HistoryEntry]]:
    webinar = _webinar(session, slug)
    return webinar, corrections.webinar_history(session, webinar, 500)


class HistoryPages(Controller):
    path = "/staff/webinars"
    guards = STAFF_GUARDS
    include_in_schema = False
    response_headers = [ResponseHeader(name="Cache-Control", value="no-store")]  # noqa: RUF012

    @page_route("/{slug:str}/history", name="staff-history")
    async def history(
        self,
        db: NamedDependency[Database],
        slug: FromPath[str],
        done: FromQuery[int | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        webinar, entries = await db.run(_page, slug)
        return Template(
            template_name="staff/history.html",
            context={"webinar": webinar, "entries": entries, "done": done, "error": error},
        )

    @post("/{slug:str}/history/{entry_id:int}/revert", name="staff-history-revert", status_code=303)
    async def revert(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        entry_id: FromPath[int],
    ) -> Redirect:
        back = request.app.route_reverse("staff-history", slug=slug)
        try:
            _, webinar_ids = await db.run(_revert, entry_id, _editor(request))
        except ArchiveError as exc:
            if exc.status == 404:
                raise
            return Redirect(path=back, query_params={"error": str(exc)}, status_code=303)
        await _follow(db, search, webinar_ids)
        return Redirect(path=back, query_params={"done": str(entry_id)}, status_code=303)
