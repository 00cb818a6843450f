"""The upload page: staff take a recording from their computer to a processing job.

    GET  /staff/upload   the form (templates/staff/upload.html)
    POST /staff/upload   the fields, with either the id of a finished tus upload (upload.js sent
                         the recording in resumable chunks) or the recording itself (no
                         JavaScript: a multipart body, streamed to disk as it arrives)

Everything is checked before anything is kept (server/uploads/form.py for the fields, the
intake's probe for the recording): a refusal shows the form again, filled in, with each reason
next to its field and status 400, and the recording is deleted. Accepted, the recording becomes a
draft webinar and a job (server/jobs/intake.py, the API's path too), and the browser goes to the
job's page to watch it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from litestar import Controller, Request, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.plugins import InitPluginProtocol
from litestar.response import Redirect, Template

from ingest.errors import ArchiveError, StorageFullError
from server.accounts.auth import caller_id
from server.accounts.guards import staff_guard
from server.catalog.db import Database
from server.jobs.api import job_queue
from server.jobs.intake import FieldError, accept_recording, temporary_path
from server.jobs.upload import receive_upload
from server.settings import Settings
from server.uploads.form import UploadForm, read_form
from server.uploads.store import UploadIncomplete, UploadStore
from server.uploads.tus import TusController
from server.web.routing import page_route

SPEAKER_ROWS: Final = 4
RESOURCE_ROWS: Final = 3
"""Empty rows the form offers beyond the ones filled in (no JavaScript needed to add one)."""
FORM_TEXT_FIELDS: Final = (
    *("title", "date", "description", "language", "topics", "agenda", "upload_id", "_csrf_token"),
    *(f"speaker-{n}-{part}" for n in range(1, 51) for part in ("name", "role", "affiliation", "project")),
    *(f"resource-{n}-{part}" for n in range(1, 51) for part in ("title", "url")),
)
"""The text parts a no-JavaScript multipart post may carry (anything else is ignored)."""
FORM_VALUES: Final = ("title", "date", "description", "language", "topics", "agenda")


def _context(settings: Settings, form: UploadForm | None = None, upload_id: str = "") -> dict[str, Any]:
    form = form or UploadForm()
    speakers = form.speakers + [{}] * SPEAKER_ROWS
    resources = form.resources + [{}] * RESOURCE_ROWS
    return {
        "values": {name: form.values.get(name, "") for name in FORM_VALUES},
        "speaker_rows": speakers[: max(SPEAKER_ROWS, len(form.speakers) + 1)],
        "resource_rows": resources[: max(RESOURCE_ROWS, len(form.resources) + 1)],
        "errors": form.errors,
        "warnings": form.warnings,
        "max_bytes": settings.jobs.max_upload_bytes,
        "upload_id": upload_id,
    }


KEEP_UPLOAD: Final = (UploadIncomplete, StorageFullError)
"""Refusals that are not the recording's fault: its upload is kept, to go on or to retry."""


def _reason(exc: ArchiveError) -> tuple[str, str]:
    """The form field a refusal belongs to, and what to tell staff."""
    if isinstance(exc, FieldError):
        return {"media": "recording", "manifest": "title"}.get(exc.field, exc.field), exc.reason
    return "recording", str(exc)


class UploadPage(Controller):
    path = "/staff/upload"
    guards = [staff_guard]  # noqa: RUF012
    include_in_schema = False

    @page_route("/", name="staff-upload")
    async def form(self, state: State) -> Template:
        return Template(template_name="staff/upload.html", context=_context(state.settings))

    @post("/", name="staff-upload-submit", status_code=303)
    async def submit(
        self, request: Request[Any, Any, State], state: State, db: NamedDependency[Database]
    ) -> Redirect | Template:
        """Check the fields and the recording; accepted, go to the job; refused, show why.

        A recording that uploaded fine stays uploaded while the fields are corrected (the form
        comes back with its upload's id, so a typo in the agenda never means sending gigabytes
        again); one that is not usable media is deleted. Nothing enters the archive until all
        of it is accepted.
        """
        settings: Settings = state.settings
        store: UploadStore = state.uploads
        owner = caller_id(request)
        target = temporary_path(settings)
        fields: dict[str, str] = {}
        upload_id = ""
        try:
            fields, upload_id = await _receive(request, settings, store, target, owner)
            record = store.record(upload_id)
            if record.owner != owner:
                upload_id = ""  # someone else's: neither used nor deleted
                raise FieldError("media", "that upload is not yours; choose the recording again")
            form = read_form(fields)
            if not form.ok or form.manifest is None:
                return _refusal(settings, form, upload_id, 400)
            store.take(upload_id, target)
            upload_id = ""  # from here on the intake owns the file (and deletes it if refused)
            agenda = form.manifest.agenda if isinstance(form.manifest.agenda, str) else None
            queue = job_queue(state)
            accepted = await accept_recording(
                settings, db, queue, target, record.filename, form.manifest, agenda, created_by=owner
            )
        except ArchiveError as exc:
            target.unlink(missing_ok=True)
            field, reason = _reason(exc)
            if field == "recording" and upload_id and not isinstance(exc, KEEP_UPLOAD):
                store.delete(upload_id)  # not a recording we can use: nothing kept
                upload_id = ""
            form = read_form(fields)
            form.errors[field] = reason
            return _refusal(settings, form, upload_id, exc.status)
        job_page = request.app.route_reverse("staff-job", job_id=accepted.job_id)
        return Redirect(path=job_page, status_code=303)


def _refusal(settings: Settings, form: UploadForm, upload_id: str, status: int) -> Template:
    return Template(
        template_name="staff/upload.html", context=_context(settings, form, upload_id), status_code=status
    )


async def _receive(
    request: Request[Any, Any, State], settings: Settings, store: UploadStore, target: Path, owner: int | None
) -> tuple[dict[str, str], str]:
    """The submitted fields and the id of the upload holding the recording.

    upload.js posts the fields url-encoded with the id of its finished tus upload. Without
    JavaScript the browser posts everything as multipart; the recording is streamed to disk and
    adopted as an upload, so a refused form can be corrected without sending it again.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        parsed = await receive_upload(
            request.stream(),
            content_type,
            target,
            settings.jobs.max_upload_bytes,
            media_field="recording",
            text_fields=FORM_TEXT_FIELDS,
        )
        fields = dict(parsed.texts)
        upload_id = fields.get("upload_id", "")
        if parsed.media is not None and parsed.size > 0:
            if upload_id:
                store.delete(upload_id)  # a new file replaces the one uploaded before
            upload_id = store.adopt(target, parsed.filename, owner)
        else:
            target.unlink(missing_ok=True)
    else:
        fields = {key: str(value) for key, value in (await request.form()).items()}
        upload_id = fields.get("upload_id", "")
    if not upload_id:
        raise FieldError("media", "choose the recording to upload")
    return fields, upload_id


class UploadsPlugin(InitPluginProtocol):
    """Adds the tus endpoints and the upload page, and the store of partial uploads
    (ARCHIVE_DATA_DIR/uploads, limited to ARCHIVE_MAX_UPLOAD_MB) as `app.state.uploads`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend([TusController, UploadPage])
        app_config.state["uploads"] = UploadStore(
            self.settings.storage.data_dir / "uploads", self.settings.jobs.max_upload_bytes
        )
        return app_config
