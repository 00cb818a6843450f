"""The HTTP side of processing: `/api/jobs/...`, the staff's writes on `/api/webinars` (upload,
publish, delete, process again), and the staff's job pages (`/staff/jobs`).

Handlers are thin: the job rows' SQL is in service.py, taking a recording in is intake.py, the
streaming body is upload.py. Every route here is for staff (`STAFF_GUARDS`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Litestar, Request, Response, delete, get, patch, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.plugins import InitPluginProtocol
from litestar.response import Redirect, Template
from litestar.types import Guard
from sqlalchemy import update
from sqlmodel import Session, col, select

from ingest.errors import ArchiveError, InputError, NotFoundError
from ingest.models import MODEL_NAMES
from server.accounts.auth import caller_id, editor_name
from server.accounts.guards import staff_guard
from server.catalog.db import Database
from server.catalog.edits import update_webinar
from server.catalog.models import (
    JOB_CANCELLED,
    JOB_QUEUED,
    JOB_RUNNING,
    STATUS_INDEX_PENDING,
    STATUS_READY,
    ProcessingJob,
    Webinar,
    WebinarUpdate,
    as_utc,
    require_id,
)
from server.catalog.status import set_status
from server.jobs import service
from server.jobs.intake import (
    FieldError,
    accept_recording,
    check_agenda,
    enqueue,
    read_manifest,
    temporary_path,
)
from server.jobs.queue import JobQueue
from server.jobs.upload import UploadTooLarge, receive_upload
from server.params import RowId
from server.problems import problem
from server.search.service import SearchService
from server.settings import Settings
from server.web.api import WebinarController
from server.web.routing import page_route

log = logging.getLogger(__name__)

STAFF_GUARDS: list[Guard] = [staff_guard]
"""Every route of this module is for staff only: 401 anonymous, 403 without a staff role
(server/accounts/guards.py); a session cookie's writes also need the CSRF token."""


# --- shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebinarRef:
    slug: str


@dataclass(frozen=True)
class JobPublic:
    """`GET /api/jobs/{id}`: where a job stands, for the job page and for programs."""

    id: int
    kind: str
    state: str
    """queued, running, succeeded, failed or cancelled."""
    stage: str | None
    """probing, transcribing, finding speakers, structuring, embedding, indexing (running jobs)."""
    progress: float
    """0 to 1 over the whole job."""
    error: str | None
    webinar: WebinarRef | None
    eta_seconds: float | None
    """Seconds left, estimated from the progress so far; None until there is enough to go on."""
    attempts: int
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str
    page: str
    kept_corrections: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """A re-processing's staff-corrected segments put back into the new transcript
    (`{segment, start, end, text}`); empty when none, or when staff chose to discard them."""
    kept_voices: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """A re-processing's new voices named after the people staff had named (`{label, person}`)."""
    agenda_warnings: list[str] = dataclasses.field(default_factory=list)
    """Lines of the agenda the ingest left out: prose around the items, and items timed after
    the recording's end (`line 7: '01:00:00 Close': skipped: …`)."""


@dataclass(frozen=True)
class JobList:
    items: list[JobPublic]


@dataclass(frozen=True)
class JobRef:
    id: int
    url: str
    page: str


@dataclass(frozen=True)
class Queued:
    """`202 Accepted` of an upload or a re-processing."""

    job: JobRef
    webinar: WebinarRef


@dataclass(frozen=True)
class WebinarAdmin:
    """A webinar as staff see it (drafts included)."""

    slug: str
    title: str
    published: bool
    status: str
    url: str


@dataclass(frozen=True)
class Deleted:
    deleted: str
    media_deleted: bool
    index_cleared: bool
    """False when the search index could not be reached: `webinar-archive reindex` clears it."""


@dataclass(frozen=True)
class ReprocessRequest:
    model: str | None = None
    """A speech model (`default`, `tiny.en`, `base`); absent: the worker's WHISPER_MODEL."""
    keep_corrections: bool = True
    """False: staff corrections of the transcript are discarded with the old transcript."""
    segment_languages: bool = False
    """Label each line spoken in another language than the webinar's (an interpreted question):
    it is then searched and filtered in its own language. Costs a pass of the model per segment
    (~2.4 s on 2 cores), so it is asked for, not the default."""


def eta_seconds(job: ProcessingJob, now: dt.datetime | None = None) -> float | None:
    """Time left at the pace so far: elapsed * (1 - p) / p, once 3% is done."""
    started = as_utc(job.started_at)
    if job.state != JOB_RUNNING or started is None or job.progress < 0.03:
        return None
    elapsed = ((now or dt.datetime.now(dt.UTC)) - started).total_seconds()
    return round(max(0.0, elapsed * (1 - job.progress) / job.progress), 1)


def job_public(job: ProcessingJob, slug: str | None) -> JobPublic:
    job_id = service.require_job_id(job)
    return JobPublic(
        id=job_id,
        kind=job.kind,
        state=job.state,
        stage=job.stage if job.state == JOB_RUNNING else None,
        progress=round(job.progress, 4),
        error=job.error,
        webinar=WebinarRef(slug) if slug else None,
        eta_seconds=eta_seconds(job),
        attempts=job.attempts,
        cancel_requested=job.cancel_requested,
        created_at=as_utc(job.created_at) or job.created_at,
        started_at=as_utc(job.started_at),
        finished_at=as_utc(job.finished_at),
        url=f"/api/jobs/{job_id}",
        page=f"/staff/jobs/{job_id}",
        kept_corrections=list(job.options.get("kept_corrections") or []),
        kept_voices=list(job.options.get("kept_voices") or []),
        agenda_warnings=[str(warning) for warning in job.options.get("agenda_warnings") or []],
    )


def job_ref(job_id: int) -> JobRef:
    return JobRef(job_id, f"/api/jobs/{job_id}", f"/staff/jobs/{job_id}")


# --- database units ---------------------------------------------------------------------------


def _job(session: Session, job_id: int) -> JobPublic:
    job = service.get_job(session, job_id)
    return job_public(job, service.webinar_slug(session, job.webinar_id))


def _jobs(session: Session, limit: int) -> JobList:
    return JobList([job_public(job, slug) for job, slug in service.list_jobs(session, limit)])


def _cancel(session: Session, job_id: int) -> JobPublic:
    job = service.request_cancel(session, job_id)
    return job_public(job, service.webinar_slug(session, job.webinar_id))


def _retry(session: Session, job_id: int) -> JobPublic:
    job = service.retry(session, job_id)
    return job_public(job, service.webinar_slug(session, job.webinar_id))


def _reprocess(session: Session, slug: str, options: dict[str, Any], user_id: int | None) -> int:
    return service.require_job_id(service.create_reprocess(session, slug, options, user_id))


def _staff_webinar(session: Session, slug: str) -> Webinar:
    """Any webinar, drafts included (staff only)."""
    webinar = session.exec(select(Webinar).where(Webinar.slug == slug)).first()
    if webinar is None:
        raise NotFoundError(f"no webinar with slug {slug!r}")
    return webinar


def _admin(webinar: Webinar) -> WebinarAdmin:
    url = f"/webinars/{webinar.slug}"
    return WebinarAdmin(webinar.slug, webinar.title, webinar.published, webinar.status, url)


def _patch(session: Session, slug: str, changes: WebinarUpdate, editor: str) -> tuple[int, bool]:
    webinar = _staff_webinar(session, slug)
    update_webinar(session, webinar, changes, editor)
    session.commit()
    return require_id(webinar), webinar.status in (STATUS_READY, STATUS_INDEX_PENDING)


def _read_admin(session: Session, webinar_id: int) -> WebinarAdmin:
    webinar = session.get(Webinar, webinar_id)
    if webinar is None:
        raise NotFoundError(f"no webinar {webinar_id}")
    return _admin(webinar)


def _read_admin_by_slug(session: Session, slug: str) -> WebinarAdmin:
    return _admin(_staff_webinar(session, slug))


def _mark_pending(session: Session, webinar_id: int) -> None:
    set_status(session, [webinar_id], STATUS_INDEX_PENDING)
    session.commit()


def _delete(session: Session, slug: str) -> tuple[str, bool]:
    """Delete the webinar (its parts cascade); its waiting or running jobs are cancelled.
    Returns its media path and whether no other webinar uses that file."""
    webinar = _staff_webinar(session, slug)
    webinar_id = require_id(webinar)
    session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.webinar_id) == webinar_id)
        .where(col(ProcessingJob.state).in_((JOB_QUEUED, JOB_RUNNING)))
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.webinar_id) == webinar_id)
        .where(col(ProcessingJob.state) == JOB_QUEUED)
        .values(state=JOB_CANCELLED, error="its webinar was deleted")
        .execution_options(synchronize_session=False)
    )
    media_path = webinar.media_path
    session.delete(webinar)
    session.flush()
    shared = session.exec(select(Webinar.id).where(Webinar.media_path == media_path)).first() is not None
    session.commit()
    return media_path, not shared


# --- helpers ------------------------------------------------------------------------------------


class QueueHolder:
    """The app's `JobQueue`, made on first use (the site only enqueues; a site that never
    queues a job never creates the queue's file or connection)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: JobQueue | None = None
        self._lock = threading.Lock()

    def get(self) -> JobQueue:
        with self._lock:
            if self._queue is None:
                self._queue = JobQueue(self.settings)
            return self._queue

    def close(self) -> None:
        with self._lock:
            if self._queue is not None:
                self._queue.close()
                self._queue = None


def job_queue(state: State) -> JobQueue:
    """The app's queue, for handlers elsewhere that queue jobs (the upload form)."""
    holder: QueueHolder = state.job_queue
    return holder.get()


def field_problem(request: Request[Any, Any, Any], exc: FieldError) -> Response[Any]:
    """A refused upload field: problem details that name the field and the reason."""
    response = problem(exc.status, "The upload was refused", str(exc))
    body = dict(response.content)
    body.update({"field": exc.field, "reason": exc.reason})
    return Response(body, status_code=exc.status, media_type=response.media_type)


# --- controllers -------------------------------------------------------------------------------


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]  # noqa: RUF012
    guards = STAFF_GUARDS

    @get("/", summary="The newest processing jobs")
    async def list_jobs(
        self,
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> JobList:
        return await db.run(_jobs, limit)

    @get("/{job_id:int}", summary="One job: state, stage, progress, error, time left")
    async def get_job(self, db: NamedDependency[Database], job_id: RowId) -> JobPublic:
        return await db.run(_job, job_id)

    @post("/{job_id:int}/retry", status_code=200, summary="Queue a failed or cancelled job again")
    async def retry(self, state: State, db: NamedDependency[Database], job_id: RowId) -> JobPublic:
        job = await db.run(_retry, job_id)
        await enqueue(job_queue(state), job.id)
        return job

    @post("/{job_id:int}/cancel", status_code=200, summary="Cancel a queued or running job")
    async def cancel(self, db: NamedDependency[Database], job_id: RowId) -> JobPublic:
        return await db.run(_cancel, job_id)


class WebinarWriteController(WebinarController):
    """The public reads of `/api/webinars` (server/web/api.py) plus the staff's writes.

    One controller for the path: Litestar 2.25 refuses two controllers with handlers on the same
    path (each brings its own OPTIONS handler), so `JobsPlugin` puts this subclass in the place
    of `WebinarController`. The guards sit on each write, not on the class, so reads stay public.
    """

    exception_handlers = {FieldError: field_problem}  # noqa: RUF012

    @post(
        "/",
        status_code=202,
        guards=STAFF_GUARDS,
        summary="Upload a recording (multipart: media, manifest, agenda); it becomes a draft and a job",
        description=(
            "multipart/form-data, streamed to disk: `media` (the recording), `manifest` (JSON or YAML, "
            "the format of `webinar-archive ingest --manifest`; a title is required), `agenda` "
            "(optional text). 202 with the job and the draft's slug; 400 names the refused `field`; "
            "413 over ARCHIVE_MAX_UPLOAD_MB; 409 when the recording is already in the archive."
        ),
        opt={"problems": (413,)},
    )
    async def upload(
        self, request: Request[Any, Any, State], state: State, db: NamedDependency[Database]
    ) -> Queued:
        settings: Settings = state.settings
        limit = settings.jobs.max_upload_bytes
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit + 1024 * 1024:  # headers and text parts
            raise UploadTooLarge(
                f"the upload is larger than the limit of {limit / 1024**2:,.0f} MB (ARCHIVE_MAX_UPLOAD_MB)"
            )
        target = temporary_path(settings)
        try:
            content_type = request.headers.get("content-type")
            parsed = await receive_upload(request.stream(), content_type, target, limit)
            if parsed.media is None or parsed.size == 0:
                raise FieldError("media", "missing or empty: attach the recording as the `media` part")
            manifest = read_manifest(parsed.texts.get("manifest"))
            agenda = check_agenda(manifest, parsed.texts.get("agenda"))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        accepted = await accept_recording(
            settings,
            db,
            job_queue(state),
            target,
            parsed.filename,
            manifest,
            agenda,
            sha256=parsed.sha256,
            created_by=caller_id(request),
        )
        return Queued(job_ref(accepted.job_id), WebinarRef(accepted.slug))

    @patch("/{slug:str}", guards=STAFF_GUARDS, summary="Publish, unpublish or edit a webinar")
    async def update(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        data: JSONBody[WebinarUpdate],
    ) -> WebinarAdmin:
        webinar_id, stored = await db.run(_patch, slug, data, editor_name(request))
        if stored:
            await _reindex(db, search, webinar_id)
        return await db.run(_read_admin, webinar_id)

    @delete("/{slug:str}", status_code=200, guards=STAFF_GUARDS, summary="Delete a webinar")
    async def remove(
        self,
        state: State,
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
        media: Annotated[bool, QueryParameter(description="also delete the recording's file")] = False,
    ) -> Deleted:
        await db.run(_staff_webinar, slug)  # 404 before touching anything
        # The catalogue first, then the index, as every write does: a `reindex` running meanwhile
        # then either reads the catalogue without it or hears of the removal (MeiliIndex.note_writes).
        media_path, unshared = await db.run(_delete, slug)
        cleared = True
        try:
            await search.index.replace_webinar(slug, [])
        except ArchiveError as exc:  # search unavailable: the catalogue goes on; reindex clears it
            log.warning("deleting %s: its search entries stay until `reindex` (%s)", slug, exc)
            cleared = False
        media_deleted = False
        if media and unshared:
            media_deleted = await anyio.to_thread.run_sync(_delete_media, state.settings, media_path)
        return Deleted(slug, media_deleted, cleared)

    @post("/{slug:str}/reprocess", status_code=202, guards=STAFF_GUARDS, summary="Process a webinar again")
    async def reprocess(
        self,
        request: Request[Any, Any, State],
        state: State,
        db: NamedDependency[Database],
        slug: FromPath[str],
        data: Annotated[ReprocessRequest | None, Body()] = None,
    ) -> Queued:
        options: dict[str, Any] = {}
        if data is not None and data.model:
            if data.model not in MODEL_NAMES:
                raise InputError(f"model {data.model!r}: expected one of {', '.join(MODEL_NAMES)}")
            options["model"] = data.model
        if data is not None and not data.keep_corrections:
            options["discard_corrections"] = True
        if data is not None and data.segment_languages:
            options["segment_languages"] = True
        job_id = await db.run(_reprocess, slug, options, caller_id(request))
        await enqueue(job_queue(state), job_id)
        return Queued(job_ref(job_id), WebinarRef(slug))


async def _reindex(db: Database, search: SearchService, webinar_id: int) -> None:
    """Search follows a publish or an edit; Meilisearch down leaves it `index_pending` for the
    next start-up or `reindex` to catch up."""
    from server.search.indexer import index_and_mark_ready

    try:
        await index_and_mark_ready(search.index, db, [webinar_id])
    except ArchiveError as exc:
        log.warning("webinar %d: search index not updated (%s); left index_pending", webinar_id, exc)
        await db.run(_mark_pending, webinar_id)


def _delete_media(settings: Settings, media_path: str) -> bool:
    media_dir = settings.storage.media_dir.resolve()
    path = (media_dir / media_path).resolve()
    if not path.is_relative_to(media_dir) or not path.is_file():
        return False  # kept outside the media folder (an ingest of a file in place): not ours
    path.unlink()
    return True


class StaffJobPages(Controller):
    """The job list and one job's page, updating live (static/js/jobs.js polls the JSON every
    second; without JavaScript the page refreshes itself while the job is unfinished)."""

    path = "/staff/jobs"
    guards = STAFF_GUARDS
    include_in_schema = False

    @page_route("/", name="staff-jobs")
    async def jobs(self, db: NamedDependency[Database]) -> Template:
        listing = await db.run(_jobs, 100)
        active = any(job.state in (JOB_QUEUED, JOB_RUNNING) for job in listing.items)
        return Template(template_name="staff/jobs.html", context={"jobs": listing.items, "active": active})

    @page_route("/{job_id:int}", name="staff-job")
    async def job(self, db: NamedDependency[Database], job_id: RowId) -> Template:
        job = await db.run(_job, job_id)
        webinar = await db.run(_read_admin_by_slug, job.webinar.slug) if job.webinar else None
        return Template(template_name="staff/job.html", context={"job": job, "webinar": webinar})

    @post("/{job_id:int}/publish", name="staff-job-publish", status_code=303)
    async def publish(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        job_id: RowId,
    ) -> Redirect:
        """Publish (or, with `published=0`, withdraw) the webinar the job made: the last step from
        an upload to a webinar the public can find, without a terminal."""
        form = await request.form()
        job = await db.run(_job, job_id)
        if job.webinar is None:
            raise NotFoundError(f"job {job_id} has no webinar to publish")
        published = form.get("published", "1") != "0"
        webinar_id, stored = await db.run(
            _patch, job.webinar.slug, WebinarUpdate(published=published), editor_name(request)
        )
        if stored:
            await _reindex(db, search, webinar_id)
        return Redirect(path=request.app.route_reverse("staff-job", job_id=job_id), status_code=303)

    @post("/{job_id:int}/retry", name="staff-job-retry", status_code=303)
    async def retry(self, state: State, db: NamedDependency[Database], job_id: RowId) -> Redirect:
        job = await db.run(_retry, job_id)
        await enqueue(job_queue(state), job.id)
        return Redirect(path=f"/staff/jobs/{job_id}", status_code=303)

    @post("/{job_id:int}/cancel", name="staff-job-cancel", status_code=303)
    async def cancel(self, db: NamedDependency[Database], job_id: RowId) -> Redirect:
        await db.run(_cancel, job_id)
        return Redirect(path=f"/staff/jobs/{job_id}", status_code=303)


class JobsPlugin(InitPluginProtocol):
    """Adds the jobs API, the staff's webinar writes and job pages, and the queue (made on first
    use, closed at shutdown) as `app.state.job_queue`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        handlers = app_config.route_handlers
        handlers[:] = [WebinarWriteController if h is WebinarController else h for h in handlers]
        if WebinarWriteController not in handlers:
            handlers.append(WebinarWriteController)
        handlers.extend([JobController, StaffJobPages])
        app_config.lifespan.append(self.lifespan)
        app_config.state["job_queue"] = QueueHolder(self.settings)
        return app_config

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            holder: QueueHolder = app.state.job_queue
            await anyio.to_thread.run_sync(holder.close)


__all__ = [
    "STAFF_GUARDS",
    "JobPublic",
    "JobsPlugin",
    "eta_seconds",
    "job_public",
    "job_queue",
]
