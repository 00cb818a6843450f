"""The staff's correction pages: a webinar's history (`/staff/webinars/{slug}/history`) with a
Revert button per entry, its chapters and resources (`/staff/webinars/{slug}/structure`: edit,
move, add, delete), and find and replace across the archive (`/staff/replace`: a preview with a
checkbox per match, then apply). Plain forms with the CSRF token: no JavaScript needed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from ingest.document import SEGMENT_KINDS
from ingest.errors import ArchiveError, InputError
from server.accounts.auth import editor_name
from server.catalog import corrections
from server.catalog.db import Database
from server.catalog.models import Webinar
from server.editing.api import (
    ChapterEdit,
    ChapterNew,
    ReplaceRequest,
    ResourceEdit,
    ResourceNew,
    _add_chapter,
    _add_resource,
    _apply,
    _chapters_done,
    _delete_chapter,
    _delete_resource,
    _edit_chapter,
    _edit_resource,
    _follow,
    _follow_revert,
    _follow_segments,
    _preview,
    _resources_done,
    _revert,
    _webinar,
)
from server.jobs.api import STAFF_GUARDS
from server.params import RowId
from server.search.service import SearchService
from server.web.routing import page_route
from server.web.timecode import parse_timecode


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
        entry_id: RowId,
    ) -> Redirect:
        back = request.app.route_reverse("staff-history", slug=slug)
        try:
            _, webinar_ids, plan = await db.run(_revert, entry_id, editor_name(request))
        except ArchiveError as exc:
            if exc.status == 404:
                raise
            return Redirect(path=back, query_params={"error": str(exc)}, status_code=303)
        await _follow_revert(db, search, webinar_ids, plan)
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
        applied, changed = await db.run(_apply, data, editor_name(request))
        for webinar_id, segment_ids in changed.items():
            await _follow_segments(db, search, webinar_id, segment_ids)
        query = {"done": str(applied.changed), "webinars": ",".join(applied.webinars)}
        return Redirect(path=back, query_params=query, status_code=303)


def _structure(session: Session, slug: str) -> dict[str, Any]:
    webinar = _webinar(session, slug)
    return {
        "webinar": webinar,
        "chapters": _chapters_done(session, webinar, None).chapters,
        "resources": _resources_done(session, webinar, None).resources,
    }


def _moment(value: Any, required: bool = True) -> float | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise InputError("start: give the time, as 12:30 or 750")
        return None
    return parse_timecode(text)


class StructurePage(Controller):
    """A webinar's chapters and resources, each a small form; every change is in the history."""

    path = "/staff/webinars/{slug:str}/structure"
    guards = STAFF_GUARDS
    include_in_schema = False
    response_headers = [ResponseHeader(name="Cache-Control", value="no-store")]  # noqa: RUF012

    @page_route("/", name="staff-structure")
    async def page(
        self,
        db: NamedDependency[Database],
        slug: FromPath[str],
        done: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        context = await db.run(_structure, slug)
        context.update(done=done, error=error, kinds=SEGMENT_KINDS)
        return Template(template_name="staff/structure.html", context=context)

    @post("/", name="staff-structure-change", status_code=303)
    async def change(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
    ) -> Redirect:
        """One form post: `what` (chapter or resource), `action` (add, save, delete), `id`, fields."""
        form = await request.form()
        back = request.app.route_reverse("staff-structure", slug=slug)
        what, action = form.get("what"), form.get("action")
        item = int(form.get("id") or 0)
        editor = editor_name(request)
        try:
            if what == "chapter" and action == "add":
                new = ChapterNew(
                    _moment(form.get("start")) or 0.0,
                    str(form.get("title", "")),
                    str(form.get("kind") or "other"),
                )
                _, webinar_id = await db.run(_add_chapter, slug, new, editor)
            elif what == "chapter" and action == "save":
                edit = ChapterEdit(
                    str(form.get("title", "")), _moment(form.get("start")), str(form.get("kind") or "other")
                )
                _, webinar_id = await db.run(_edit_chapter, slug, item, edit, editor)
            elif what == "chapter" and action == "delete":
                _, webinar_id = await db.run(_delete_chapter, slug, item, editor)
            elif what == "resource" and action == "add":
                res = ResourceNew(
                    str(form.get("title", "")), str(form.get("url", "")), _moment(form.get("start"), False)
                )
                _, webinar_id = await db.run(_add_resource, slug, res, editor)
            elif what == "resource" and action == "save":
                change = ResourceEdit(
                    str(form.get("title", "")), str(form.get("url", "")), _moment(form.get("start"), False)
                )
                _, webinar_id = await db.run(_edit_resource, slug, item, change, editor)
            elif what == "resource" and action == "delete":
                _, webinar_id = await db.run(_delete_resource, slug, item, editor)
            else:
                raise InputError("unknown change: expected a chapter or a resource to add, save or delete")
        except ArchiveError as exc:
            if exc.status == 404:
                raise
            return Redirect(path=back, query_params={"error": str(exc)}, status_code=303)
        await _follow(db, search, [webinar_id])
        return Redirect(path=back, query_params={"done": f"{what} {action}"}, status_code=303)
