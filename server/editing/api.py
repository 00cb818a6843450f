"""The corrections API, for staff: edit, split and merge segments, a webinar's history and revert,
find and replace across the archive.

Thin handlers: the catalogue work and its history rows are server/catalog/corrections.py, one
committed unit per request; then every webinar changed is re-indexed at once (the same
`_reindex` as the staff's webinar edits: Meilisearch's tasks are awaited, so a correction is
searchable when the response arrives; drafts are not in the index). Every route has
`staff_guard` (401 anonymous, 403 without a staff role); a session cookie's writes also need the
CSRF header, a Bearer token's do not.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from litestar import Controller, Request, delete, get, patch, post
from litestar.config.app import AppConfig
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.plugins import InitPluginProtocol
from sqlmodel import Session, col, select

from ingest.errors import ArchiveError, NotFoundError
from server.accounts.auth import editor_name
from server.catalog import corrections
from server.catalog.corrections import HistoryEntry
from server.catalog.db import MAX_ROW_ID, Database
from server.catalog.models import (
    STATUS_INDEX_PENDING,
    STATUS_READY,
    Chapter,
    EditHistory,
    Resource,
    Segment,
    Webinar,
    require_id,
)
from server.catalog.reads import speaker_for, speaker_names
from server.catalog.status import listed
from server.jobs.api import STAFF_GUARDS, _reindex
from server.params import RowId
from server.search.documents import SegmentDocument
from server.search.feed import iter_segment_documents
from server.search.service import SearchService

log = logging.getLogger(__name__)

PREVIEW_LIMIT = 1000
"""Matches listed by a preview (`total` counts them all; applying without `matches` changes all)."""


# --- shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentEdit:
    """`PATCH /api/webinars/{slug}/segments/{id}`: any of these; absent (or null) is unchanged."""

    text: str | None = None
    speaker: str | None = None
    """A voice label of this webinar ("SPEAKER_01") or the name of one of its people."""
    kind: str | None = None
    """intro, presentation, question, answer, panel or other."""
    answers: int | None = None
    """The id of the (earlier) question segment this one answers; 0: it answers none."""
    language: str | None = None
    """The language the line is spoken in (ISO 639-1, "de"), where it is not the webinar's; "":
    the webinar's. Searched, filtered and marked up in that language."""


@dataclass(frozen=True)
class SplitRequest:
    word: int
    """The word (0-based) that starts the second part: 1 to the segment's word count - 1."""


@dataclass(frozen=True)
class ReplaceRequest:
    find: str
    replace: str = ""
    apply: bool = False
    """False: preview (the matches in context); true: change them."""
    matches: list[str] | None = None
    """With `apply`: the ids of the preview's matches to change; absent: every match."""
    match_case: bool = False
    whole_word: bool = True


@dataclass(frozen=True)
class ChapterEdit:
    """`PATCH /api/webinars/{slug}/chapters/{id}`: any of the three."""

    title: str | None = None
    start: float | None = None
    """Seconds; the chapters are re-ended and the segments follow."""
    kind: str | None = None


@dataclass(frozen=True)
class ChapterNew:
    start: float
    title: str
    kind: str = "other"


@dataclass(frozen=True)
class ChapterAdmin:
    id: int
    position: int
    start: float
    end: float
    title: str
    kind: str


@dataclass(frozen=True)
class ChaptersDone:
    """The webinar's chapters after the change, and its history entry (none when nothing changed)."""

    chapters: list[ChapterAdmin]
    history: int | None


@dataclass(frozen=True)
class ResourceEdit:
    """`PATCH /api/webinars/{slug}/resources/{id}`: any of the three."""

    title: str | None = None
    url: str | None = None
    """http:// or https:// only."""
    start: float | None = None
    """The moment it is mentioned (seconds): the segment said then mentions it."""


@dataclass(frozen=True)
class ResourceNew:
    title: str
    url: str
    start: float | None = None


@dataclass(frozen=True)
class ResourceAdmin:
    id: int
    position: int
    title: str
    url: str
    start: float | None


@dataclass(frozen=True)
class ResourcesDone:
    resources: list[ResourceAdmin]
    history: int | None


@dataclass(frozen=True)
class SegmentAdmin:
    """A segment as staff edit it, with its word times (`[start, end, text, probability]`)."""

    id: int
    position: int
    start: float
    end: float
    speaker: str | None
    speaker_label: str | None
    kind: str
    answers: int | None
    """The question segment this one answers."""
    text: str
    words: list[list[Any]]
    language: str | None = None
    """Set where the line is spoken in another language than the webinar's."""


@dataclass(frozen=True)
class Edited:
    segment: SegmentAdmin
    history: list[int]
    """The history entries written (none when nothing changed)."""


@dataclass(frozen=True)
class SplitDone:
    segments: list[SegmentAdmin]
    history: int


@dataclass(frozen=True)
class MergeDone:
    segment: SegmentAdmin
    history: int


@dataclass(frozen=True)
class History:
    webinar: str
    items: list[HistoryEntry]


@dataclass(frozen=True)
class Reverted:
    reverted: int
    history: list[HistoryEntry]
    """The new entries (a find and replace's batch is reverted as a whole)."""
    webinars: list[str]


@dataclass(frozen=True)
class MatchPublic:
    id: str
    """Pass it in `matches` to change this one."""
    webinar: str
    webinar_title: str
    segment: int
    start: float
    time: float
    before: str
    match: str
    after: str
    context: str
    """The three, HTML-escaped, the match in `<mark>`."""
    url: str


@dataclass(frozen=True)
class Preview:
    find: str
    replace: str
    total: int
    matches: list[MatchPublic]


@dataclass(frozen=True)
class Applied:
    changed: int
    """Matches replaced."""
    segments: int
    webinars: list[str]
    batch: str | None
    history: list[int]


# --- database units ---------------------------------------------------------------------------


def _webinar(session: Session, slug: str) -> Webinar:
    webinar = session.exec(select(Webinar).where(Webinar.slug == slug)).first()
    if webinar is None:
        raise NotFoundError(f"no webinar with slug {slug!r}")
    return webinar


def _stored(session: Session, webinar_ids: list[int]) -> list[tuple[int, str]]:
    """The webinars among these whose search entries follow the catalogue, with their slugs."""
    out = []
    for webinar_id in webinar_ids:
        webinar = session.get(Webinar, webinar_id)
        if webinar is not None and webinar.status in (STATUS_READY, STATUS_INDEX_PENDING):
            out.append((webinar_id, webinar.slug))
    return out


def _admin(session: Session, segment: Segment) -> SegmentAdmin:
    people, labels = speaker_names(session, segment.webinar_id)
    return SegmentAdmin(
        id=segment.id or 0,
        position=segment.position,
        start=segment.start,
        end=segment.end,
        speaker=speaker_for(segment.person_id, segment.speaker_label, people, labels),
        speaker_label=segment.speaker_label,
        kind=segment.kind,
        answers=segment.answers_id,
        text=segment.text,
        words=[list(w) for w in segment.words],
        language=segment.language,
    )


def _get(session: Session, slug: str, segment_id: int) -> SegmentAdmin:
    return _admin(session, corrections.segment_in(session, _webinar(session, slug), segment_id))


def _edit(session: Session, slug: str, segment_id: int, data: SegmentEdit, editor: str) -> tuple[Edited, int]:
    webinar = _webinar(session, slug)
    segment, entries = corrections.edit_segment(
        session,
        webinar,
        segment_id,
        editor,
        text=data.text,
        speaker=data.speaker,
        kind=data.kind,
        answers=data.answers,
        language=data.language,
    )
    session.commit()
    return Edited(_admin(session, segment), [e.id or 0 for e in entries]), require_id(webinar)


def _split(session: Session, slug: str, segment_id: int, word: int, editor: str) -> tuple[SplitDone, int]:
    webinar = _webinar(session, slug)
    made, entry = corrections.split_segment(session, webinar, segment_id, word, editor)
    session.commit()
    return SplitDone([_admin(session, s) for s in made], entry.id or 0), require_id(webinar)


def _merge(session: Session, slug: str, segment_id: int, editor: str) -> tuple[MergeDone, int, int]:
    """The merge, the webinar's id and the id of the segment merged in (now gone)."""
    webinar = _webinar(session, slug)
    merged, entry = corrections.merge_segments(session, webinar, segment_id, editor)
    session.commit()
    removed = int(entry.old_value["segments"][1]["id"])
    return MergeDone(_admin(session, merged), entry.id or 0), require_id(webinar), removed


def _chapters_done(session: Session, webinar: Webinar, entry: EditHistory | None) -> ChaptersDone:
    rows = session.exec(
        select(Chapter).where(Chapter.webinar_id == require_id(webinar)).order_by(col(Chapter.position))
    )
    chapters = [ChapterAdmin(c.id or 0, c.position, c.start, c.end, c.title, c.kind) for c in rows]
    return ChaptersDone(chapters, entry.id if entry is not None else None)


def _edit_chapter(
    session: Session, slug: str, chapter_id: int, data: ChapterEdit, editor: str
) -> tuple[ChaptersDone, int]:
    webinar = _webinar(session, slug)
    _, entry = corrections.edit_chapter(
        session, webinar, chapter_id, editor, title=data.title, start=data.start, kind=data.kind
    )
    session.commit()
    return _chapters_done(session, webinar, entry), require_id(webinar)


def _add_chapter(session: Session, slug: str, data: ChapterNew, editor: str) -> tuple[ChaptersDone, int]:
    webinar = _webinar(session, slug)
    _, entry = corrections.add_chapter(session, webinar, data.start, data.title, editor, data.kind)
    session.commit()
    return _chapters_done(session, webinar, entry), require_id(webinar)


def _delete_chapter(session: Session, slug: str, chapter_id: int, editor: str) -> tuple[ChaptersDone, int]:
    webinar = _webinar(session, slug)
    entry = corrections.delete_chapter(session, webinar, chapter_id, editor)
    session.commit()
    return _chapters_done(session, webinar, entry), require_id(webinar)


def _resources_done(session: Session, webinar: Webinar, entry: EditHistory | None) -> ResourcesDone:
    rows = session.exec(
        select(Resource).where(Resource.webinar_id == require_id(webinar)).order_by(col(Resource.position))
    )
    resources = [ResourceAdmin(r.id or 0, r.position, r.title, r.url, r.start) for r in rows]
    return ResourcesDone(resources, entry.id if entry is not None else None)


def _add_resource(session: Session, slug: str, data: ResourceNew, editor: str) -> tuple[ResourcesDone, int]:
    webinar = _webinar(session, slug)
    _, entry = corrections.add_resource(session, webinar, data.title, data.url, editor, data.start)
    session.commit()
    return _resources_done(session, webinar, entry), require_id(webinar)


def _edit_resource(
    session: Session, slug: str, resource_id: int, data: ResourceEdit, editor: str
) -> tuple[ResourcesDone, int]:
    webinar = _webinar(session, slug)
    _, entry = corrections.edit_resource(
        session, webinar, resource_id, editor, title=data.title, url=data.url, start=data.start
    )
    session.commit()
    return _resources_done(session, webinar, entry), require_id(webinar)


def _delete_resource(session: Session, slug: str, resource_id: int, editor: str) -> tuple[ResourcesDone, int]:
    webinar = _webinar(session, slug)
    entry = corrections.delete_resource(session, webinar, resource_id, editor)
    session.commit()
    return _resources_done(session, webinar, entry), require_id(webinar)


def _history(session: Session, slug: str, limit: int, offset: int) -> History:
    webinar = _webinar(session, slug)
    return History(webinar.slug, corrections.webinar_history(session, webinar, limit, offset))


_TARGETED: Final = (
    corrections.TEXT,
    corrections.KIND,
    corrections.ANSWERS,
    corrections.SPLIT,
    corrections.MERGE,
    corrections.REPLACE,
)
"""History fields whose change (or revert) touches only the segments it names in the index."""

Plan = dict[int, tuple[list[int], list[int]]]
"""Per webinar: the segments whose documents changed, and those removed."""


def _revert(
    session: Session, entry_id: int, editor: str
) -> tuple[list[HistoryEntry], list[int], Plan | None]:
    """The revert, the webinars changed, and what changed in each (None: re-index them whole)."""
    made, webinar_ids = corrections.revert(session, entry_id, editor)
    session.commit()
    plan: Plan | None = {}
    for entry in made:
        if plan is None or entry.field not in _TARGETED:
            plan = None
            continue
        after = [int(snap["id"]) for snap in entry.new_value["segments"]]
        before = [int(snap["id"]) for snap in entry.old_value["segments"]]
        changed, removed = plan.setdefault(entry.row_id, ([], []))
        changed.extend(after)
        removed.extend(i for i in before if i not in after)
    return [corrections.history_entry(e) for e in made], webinar_ids, plan


async def _follow_revert(
    db: Database, search: SearchService, webinar_ids: list[int], plan: Plan | None
) -> list[str]:
    if plan is None:
        return await _follow(db, search, webinar_ids)
    for webinar_id, (changed, removed) in plan.items():
        await _follow_segments(db, search, webinar_id, changed, removed)
    return [slug for _, slug in await db.run(_stored, webinar_ids)]


def _preview(session: Session, data: ReplaceRequest) -> Preview:
    found = corrections.find_matches(
        session, data.find, match_case=data.match_case, whole_word=data.whole_word
    )
    return Preview(data.find, data.replace, len(found), [_match(m) for m in found[:PREVIEW_LIMIT]])


def _match(m: corrections.Match) -> MatchPublic:
    context = f"{html.escape(m.before)}<mark>{html.escape(m.match)}</mark>{html.escape(m.after)}"
    return MatchPublic(
        id=m.id,
        webinar=m.webinar,
        webinar_title=m.webinar_title,
        segment=m.segment,
        start=m.start,
        time=m.time,
        before=m.before,
        match=m.match,
        after=m.after,
        context=context,
        url=f"/webinars/{m.webinar}?t={int(m.time)}",
    )


def _apply(session: Session, data: ReplaceRequest, editor: str) -> tuple[Applied, dict[int, list[int]]]:
    done = corrections.replace_matches(
        session,
        data.find,
        data.replace,
        editor,
        selected=data.matches,
        match_case=data.match_case,
        whole_word=data.whole_word,
    )
    session.commit()
    slugs = [w.slug for i in done.webinar_ids if (w := session.get(Webinar, i)) is not None]
    applied = Applied(done.changed, len(done.segments), slugs, done.batch, [e.id or 0 for e in done.entries])
    changed: dict[int, list[int]] = {}
    for segment in done.segments:
        changed.setdefault(segment.webinar_id, []).append(segment.id or 0)
    return applied, changed


# --- helpers ------------------------------------------------------------------------------------


async def _follow(db: Database, search: SearchService, webinar_ids: list[int]) -> list[str]:
    """Re-index the stored webinars among `webinar_ids`; their slugs."""
    stored = await db.run(_stored, webinar_ids)
    for webinar_id, _ in stored:
        await _reindex(db, search, webinar_id)
    return [slug for _, slug in stored]


def _segment_documents(
    session: Session, webinar_id: int, changed: list[int]
) -> tuple[bool, list[SegmentDocument]] | None:
    """Whether the webinar is in the index, and the documents of its `changed` segments; None
    when only a whole re-index will do (the webinar is not `ready`: pending or processing)."""
    webinar = session.get(Webinar, webinar_id)
    if webinar is None or webinar.status != STATUS_READY:
        return None
    if changed:
        # Only the changed lines are read and made into documents, not a long webinar's 1,500
        # with their vectors: staff wait on this path.
        batches = iter_segment_documents(session, webinar_id, segment_ids=changed)
        docs = [doc for batch in batches for doc in batch]
        if docs:
            return True, docs
    # Removals only: whether the public sees it, so its documents are in the index.
    shown = session.exec(select(Webinar.id).where(listed(), col(Webinar.id) == webinar_id)).first()
    return shown is not None, []


async def _follow_segments(
    db: Database, search: SearchService, webinar_id: int, changed: list[int], removed: Sequence[int] = ()
) -> None:
    """Update only the documents of the segments changed (and drop the removed ones): on a
    two-hour webinar (1,500 segments) re-indexing it whole took 0.3-2.6 s a edit on this machine,
    one document takes a few tens of milliseconds. Anything else falls back to `_follow`."""
    found = await db.run(_segment_documents, webinar_id, changed)
    if found is None:
        await _follow(db, search, [webinar_id])
        return
    listed, docs = found
    if not listed:
        return  # unpublished: nothing of it is in the index
    if not docs:  # only removals: the whole webinar, which tells a rebuild under way (below)
        await _follow(db, search, [webinar_id])
        return
    try:
        index = search.index
        await index.note_writes({doc.webinar for doc in docs})  # a rebuild sends it again after its swap
        tasks = []
        if removed:
            path = f"indexes/{index.uid}/documents/delete-batch"
            tasks.append(await index.enqueue("POST", path, list(removed)))
        await index.add([docs], first_tasks=tasks)
    except ArchiveError as exc:
        log.warning(
            "webinar %d: updating its changed segments failed (%s); re-indexing it whole", webinar_id, exc
        )
        await _follow(db, search, [webinar_id])


# --- the controller ---------------------------------------------------------------------------

_SEGMENT = "/webinars/{slug:str}/segments/{segment_id:int}"


class CorrectionsController(Controller):
    path = "/api"
    tags = ["corrections"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    guards = STAFF_GUARDS

    @get(_SEGMENT, summary="One segment with its word times (staff)")
    async def get_segment(
        self, db: NamedDependency[Database], slug: FromPath[str], segment_id: RowId
    ) -> SegmentAdmin:
        return await db.run(_get, slug, segment_id)

    @patch(_SEGMENT, summary="Correct a segment's text (word times kept), speaker, kind, pairing or language")
    async def edit_segment(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        segment_id: RowId,
        data: JSONBody[SegmentEdit],
    ) -> Edited:
        edited, webinar_id = await db.run(_edit, slug, segment_id, data, editor_name(request))
        if edited.history and data.speaker is not None:
            await _follow(db, search, [webinar_id])  # the webinar's own document names speakers
        elif edited.history:
            await _follow_segments(db, search, webinar_id, [segment_id])
        return edited

    @post(f"{_SEGMENT}/split", status_code=200, summary="Split a segment before one of its words")
    async def split_segment(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        segment_id: RowId,
        data: JSONBody[SplitRequest],
    ) -> SplitDone:
        done, webinar_id = await db.run(_split, slug, segment_id, data.word, editor_name(request))
        await _follow_segments(db, search, webinar_id, [s.id for s in done.segments])
        return done

    @post(f"{_SEGMENT}/merge", status_code=200, summary="Merge a segment with the next one")
    async def merge_segment(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        segment_id: RowId,
    ) -> MergeDone:
        done, webinar_id, removed = await db.run(_merge, slug, segment_id, editor_name(request))
        await _follow_segments(db, search, webinar_id, [done.segment.id], [removed])
        return done

    @post("/webinars/{slug:str}/chapters", status_code=201, summary="Add a chapter")
    async def add_chapter(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        data: JSONBody[ChapterNew],
    ) -> ChaptersDone:
        done, webinar_id = await db.run(_add_chapter, slug, data, editor_name(request))
        await _follow(db, search, [webinar_id])
        return done

    @patch(
        "/webinars/{slug:str}/chapters/{chapter_id:int}",
        summary="Retitle or move a chapter, or change its kind",
    )
    async def edit_chapter(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        chapter_id: RowId,
        data: JSONBody[ChapterEdit],
    ) -> ChaptersDone:
        done, webinar_id = await db.run(_edit_chapter, slug, chapter_id, data, editor_name(request))
        if done.history is not None:
            await _follow(db, search, [webinar_id])
        return done

    @delete(
        "/webinars/{slug:str}/chapters/{chapter_id:int}",
        status_code=200,
        summary="Delete a chapter (its segments join the one before)",
    )
    async def delete_chapter(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        chapter_id: RowId,
    ) -> ChaptersDone:
        done, webinar_id = await db.run(_delete_chapter, slug, chapter_id, editor_name(request))
        await _follow(db, search, [webinar_id])
        return done

    @post("/webinars/{slug:str}/resources", status_code=201, summary="Add a resource (a link) to a webinar")
    async def add_resource(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        data: JSONBody[ResourceNew],
    ) -> ResourcesDone:
        done, webinar_id = await db.run(_add_resource, slug, data, editor_name(request))
        await _follow(db, search, [webinar_id])
        return done

    @patch("/webinars/{slug:str}/resources/{resource_id:int}", summary="Edit a resource or its moment")
    async def edit_resource(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        resource_id: RowId,
        data: JSONBody[ResourceEdit],
    ) -> ResourcesDone:
        done, webinar_id = await db.run(_edit_resource, slug, resource_id, data, editor_name(request))
        if done.history is not None:
            await _follow(db, search, [webinar_id])
        return done

    @delete("/webinars/{slug:str}/resources/{resource_id:int}", status_code=200, summary="Remove a resource")
    async def delete_resource(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        resource_id: RowId,
    ) -> ResourcesDone:
        done, webinar_id = await db.run(_delete_resource, slug, resource_id, editor_name(request))
        await _follow(db, search, [webinar_id])
        return done

    @get("/webinars/{slug:str}/history", summary="A webinar's edit history, newest first")
    async def history(
        self,
        db: NamedDependency[Database],
        slug: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_ROW_ID)] = 0,
    ) -> History:
        return await db.run(_history, slug, limit, offset)

    @post("/history/{entry_id:int}/revert", status_code=200, summary="Revert one history entry")
    async def revert(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        entry_id: RowId,
    ) -> Reverted:
        made, webinar_ids, plan = await db.run(_revert, entry_id, editor_name(request))
        slugs = await _follow_revert(db, search, webinar_ids, plan)
        return Reverted(entry_id, made, slugs)

    @post(
        "/replace",
        status_code=200,
        summary="Find and replace across the archive: preview, or apply to the chosen matches",
    )
    async def replace(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        data: JSONBody[ReplaceRequest],
    ) -> Preview | Applied:
        if not data.apply:
            return await db.run(_preview, data)
        applied, changed = await db.run(_apply, data, editor_name(request))
        for webinar_id, segment_ids in changed.items():
            await _follow_segments(db, search, webinar_id, segment_ids)
        return applied


class EditingPlugin(InitPluginProtocol):
    """Adds the corrections API and the staff's history pages."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from server.editing.editorial import EditorialController, EditorialPage
        from server.editing.pages import HistoryPages, ReplacePage, StructurePage

        app_config.route_handlers.extend([CorrectionsController, HistoryPages, ReplacePage, StructurePage])
        app_config.route_handlers.extend([EditorialController, EditorialPage])
        return app_config


__all__ = ["CorrectionsController", "EditingPlugin"]
