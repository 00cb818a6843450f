"""What staff write beside the transcript: a webinar's summary and key messages (Markdown), and
the machine draft they start from (`server/catalog/drafts.py`).

API (staff only): `GET /api/webinars/{slug}/editorial` (what staff wrote, and the draft apart),
`PUT /api/webinars/{slug}/summary` `{summary, key_messages}`, `POST .../draft` (extract a draft
now), `POST .../draft/accept` `{key_messages, summary, topics}` (which parts to take). The same
fields go through `PATCH /api/webinars/{slug}` too. Every change is one history row per field,
revertible with `POST /api/history/{id}/revert`, and the webinar is re-indexed at once (its key
messages and summary are searchable; the draft never is).

Page: `/staff/webinars/{slug}/about`, plain forms with the CSRF token: the summary, the key
messages one a line, and the draft marked "not reviewed" with Accept, Edit (the form filled
with it) and Generate; a draft older than a correction of the transcript's words is flagged
stale, with Regenerate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from ingest.errors import ArchiveError
from server.accounts.auth import editor_name
from server.catalog.db import Database
from server.catalog.drafts import accept_draft, draft_is_stale, generate_draft
from server.catalog.edits import update_webinar
from server.catalog.models import WebinarUpdate, require_id
from server.editing.api import _follow, _webinar
from server.jobs.api import STAFF_GUARDS
from server.search.service import SearchService
from server.web.routing import page_route


@dataclass
class Editorial:
    """`GET /api/webinars/{slug}/editorial`: staff's own text, and the machine draft apart
    (`null` when none was made; `accepted_at` once staff took it)."""

    slug: str
    summary: str | None
    key_messages: list[str]
    topics: list[str]
    draft: dict[str, Any] | None
    draft_stale: bool = False
    """The transcript's words were corrected after the draft was extracted: extract it again."""


@dataclass
class SummaryWrite:
    """`PUT /api/webinars/{slug}/summary`: either or both; a field left out is unchanged."""

    summary: str | None = None
    key_messages: list[str] | None = None


@dataclass
class AcceptDraft:
    """Which parts of the draft to take (all by default): its key messages replace staff's,
    its summary fills an empty one, its topics are added."""

    key_messages: bool = True
    summary: bool = True
    topics: bool = True


def _editorial(session: Session, slug: str) -> Editorial:
    w = _webinar(session, slug)
    return Editorial(
        w.slug, w.summary, list(w.key_messages), list(w.topics), w.editorial_draft, draft_is_stale(session, w)
    )


def _write(session: Session, slug: str, changes: WebinarUpdate, editor: str) -> int:
    webinar = _webinar(session, slug)
    update_webinar(session, webinar, changes, editor)
    session.commit()
    return require_id(webinar)


def _generate(session: Session, slug: str) -> int:
    webinar = _webinar(session, slug)
    generate_draft(session, webinar)
    session.commit()
    return require_id(webinar)


def _accept(session: Session, slug: str, parts: AcceptDraft, editor: str) -> int:
    webinar = _webinar(session, slug)
    accept_draft(
        session, webinar, editor, key_messages=parts.key_messages, summary=parts.summary, topics=parts.topics
    )
    session.commit()
    return require_id(webinar)


def _changes(data: SummaryWrite, given: dict[str, Any]) -> WebinarUpdate:
    """Only the fields the client sent (a JSON `null` summary clears it)."""
    return WebinarUpdate.model_validate(
        {k: getattr(data, k) for k in ("summary", "key_messages") if k in given}
    )


class EditorialController(Controller):
    path = "/api/webinars/{slug:str}"
    guards = STAFF_GUARDS
    tags = ["editorial"]  # noqa: RUF012

    @get("/editorial", summary="A webinar's summary, key messages and machine draft (staff)")
    async def read(self, db: NamedDependency[Database], slug: FromPath[str]) -> Editorial:
        return await db.run(_editorial, slug)

    @put("/summary", summary="Write a webinar's summary and key messages (Markdown)")
    async def write(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        data: JSONBody[SummaryWrite],
    ) -> Editorial:
        body = await request.json()
        given = body if isinstance(body, dict) else {}
        webinar_id = await db.run(_write, slug, _changes(data, given), editor_name(request))
        await _follow(db, search, [webinar_id])
        return await db.run(_editorial, slug)

    @post("/draft", status_code=200, summary="Extract a draft of key messages and topics from the transcript")
    async def draft(self, db: NamedDependency[Database], slug: FromPath[str]) -> Editorial:
        await db.run(_generate, slug)
        return await db.run(_editorial, slug)

    @post("/draft/accept", status_code=200, summary="Take the draft as staff's own (recorded in the history)")
    async def accept(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        data: JSONBody[AcceptDraft | None] = None,
    ) -> Editorial:
        webinar_id = await db.run(_accept, slug, data or AcceptDraft(), editor_name(request))
        await _follow(db, search, [webinar_id])
        return await db.run(_editorial, slug)


class EditorialPage(Controller):
    """`/staff/webinars/{slug}/about`: the summary and key messages, and the draft to start from."""

    path = "/staff/webinars/{slug:str}/about"
    guards = STAFF_GUARDS
    include_in_schema = False
    response_headers = [ResponseHeader(name="Cache-Control", value="no-store")]  # noqa: RUF012

    @page_route("/", name="staff-editorial")
    async def page(
        self,
        db: NamedDependency[Database],
        slug: FromPath[str],
        edit_draft: FromQuery[bool] = False,
        done: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        """The form; with `edit_draft`, filled with the draft's text instead (saved only on Save)."""
        editorial = await db.run(_editorial, slug)
        webinar = await db.run(_webinar, slug)
        draft = editorial.draft or {}
        use_draft = edit_draft and bool(draft)
        summary = (
            (editorial.summary or draft.get("summary") or "") if use_draft else (editorial.summary or "")
        )
        messages = draft.get("key_messages", []) if use_draft else editorial.key_messages
        return Template(
            template_name="staff/editorial.html",
            context={
                "webinar": webinar,
                "editorial": editorial,
                "draft": editorial.draft,
                "form_summary": summary,
                "form_messages": "\n".join(messages),
                "from_draft": use_draft,
                "done": done,
                "error": error,
            },
        )

    @post("/", name="staff-editorial-change", status_code=303)
    async def change(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
    ) -> Redirect:
        """One form post: `action` save (summary, key messages one a line), generate or accept."""
        form = await request.form()
        back = request.app.route_reverse("staff-editorial", slug=slug)
        action = form.get("action")
        editor = editor_name(request)
        try:
            if action == "save":
                lines = str(form.get("key_messages", "")).splitlines()
                changes = WebinarUpdate(summary=str(form.get("summary", "")), key_messages=lines)
                webinar_id = await db.run(_write, slug, changes, editor)
                await _follow(db, search, [webinar_id])
            elif action == "generate":
                await db.run(_generate, slug)
            elif action == "accept":
                webinar_id = await db.run(_accept, slug, AcceptDraft(), editor)
                await _follow(db, search, [webinar_id])
            else:
                return Redirect(path=back, query_params={"error": "unknown action"}, status_code=303)
        except ArchiveError as exc:
            if exc.status == 404:
                raise
            return Redirect(path=back, query_params={"error": str(exc)}, status_code=303)
        return Redirect(path=back, query_params={"done": str(action)}, status_code=303)
