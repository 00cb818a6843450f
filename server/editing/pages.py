"""The staff's correction pages: a webinar's history (`/staff/webinars/{slug}/history`) with a
Revert button per entry, and find and replace across the archive (`/staff/replace`: a preview
with a checkbox per match, then apply). Plain forms with the CSRF token: no JavaScript needed."""

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
from server.editing.api import ReplaceRequest, _apply, _editor, _follow, _preview, _revert, _webinar
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


class ReplacePage(Controller):
    path = "/staff/replace"
    guards = STAFF_GUARDS
    include_in_schema = False
    response_headers = [ResponseHeader(name="Cache-Control", value="no-store")]  # noqa: RUF012

    @page_route("/", name="staff-replace")
    async def page(
        self,
        db: NamedDependency[Database],
        find: FromQuery[str] = "",
        replace: FromQuery[str] = "",
        match_case: FromQuery[bool] = False,
        partial: FromQuery[bool] = False,
        done: FromQuery[int | None] = None,
        webinars: FromQuery[str] = "",
    ) -> Template:
        """The form; with `find`, the preview: every match in context, each with a checkbox."""
        data = ReplaceRequest(find, replace, match_case=match_case, whole_word=not partial)
        preview, error = None, None
        if find.strip():
            try:
                preview = await db.run(_preview, data)
            except ArchiveError as exc:
                if exc.status != 400:
                    raise
                error = str(exc)
        context = {
            "form": data,
            "preview": preview,
            "error": error,
            "done": done,
            "webinars": [w for w in webinars.split(",") if w],
        }
        return Template(template_name="staff/replace.html", context=context)

    @post("/", name="staff-replace-apply", status_code=303)
    async def apply(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
    ) -> Redirect:
        form = await request.form()
        data = ReplaceRequest(
            find=str(form.get("find", "")),
            replace=str(form.get("replace", "")),
            apply=True,
            matches=[str(m) for m in form.getall("match", [])],
            match_case=form.get("match_case") == "true",
            whole_word=form.get("partial") != "true",
        )
        back = request.app.route_reverse("staff-replace")
        if not data.matches:
            query = {"find": data.find, "replace": data.replace}
            return Redirect(path=back, query_params=query, status_code=303)
        applied, webinar_ids = await db.run(_apply, data, _editor(request))
        await _follow(db, search, webinar_ids)
        query = {"done": str(applied.changed), "webinars": ",".join(applied.webinars)}
        return Redirect(path=back, query_params=query, status_code=303)
