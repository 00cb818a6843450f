"""Taking a recording in: check it, keep it, and queue its processing (one path for the API's
multipart upload and the browser's upload form).

Everything staff can get wrong is checked before anything is kept: the manifest (the format of
`--manifest`), the agenda (`ingest.agenda.read_agenda`, so a malformed one is refused now, not
in the worker), and the recording itself (`ingest.probe.probe`: media, with audio, not truncated,
not too long). A refusal is a `FieldError` naming the field; the caller deletes the file and
nothing else exists yet. Accepted, the recording is moved into ARCHIVE_MEDIA_DIR under a unique
name, and one transaction creates the webinar as a draft (unpublished, status `processing`,
slug from the title) and its job; then the job is put on the queue.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlmodel import Session

from ingest.errors import ConflictError, InputError
from ingest.metadata import Manifest, ManifestError, decode_yaml, parse_manifest
from server.catalog.db import Database
from server.catalog.models import JOB_INGEST, STATUS_PROCESSING, Webinar, require_id
from server.catalog.slugs import slugify, unique_slug
from server.catalog.store import find_by_sha256, media_sha256
from server.jobs import service
from server.jobs.queue import JobQueue
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_METADATA_BYTES = 1024 * 1024
"""The manifest and the agenda are text a person wrote: a megabyte is far more than enough."""


class FieldError(InputError):
    """A refused upload field: `field` names it (`media`, `manifest`, `agenda`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field
        self.reason = message


def read_manifest(text: str | None) -> Manifest:
    """The manifest field (JSON or YAML, as `--manifest`), or `FieldError('manifest', ...)`."""
    if text is None or not text.strip():
        raise FieldError("manifest", "missing: send the webinar's metadata (JSON or YAML), at least a title")
    try:
        data = decode_yaml(text)
    except ValueError as exc:
        raise FieldError("manifest", str(exc)) from None
    try:
        manifest = parse_manifest(data)
    except ManifestError as exc:
        raise FieldError("manifest", str(exc).removeprefix("manifest: ")) from None
    if not (manifest.title or "").strip():
        raise FieldError("manifest", "a title is required (it names the webinar and its address)")
    return manifest


def check_agenda(manifest: Manifest, agenda: str | None) -> str | None:
    """The agenda text (the field, else the manifest's), parsed now so a bad one is refused."""
    from ingest.agenda import AgendaError, read_agenda

    written = agenda if agenda is not None and agenda.strip() else None
    field = "agenda" if written is not None else "manifest"
    target = written if written is not None else manifest.agenda
    if target is None or (isinstance(target, str) and not target.strip()):
        return None
    try:
        read_agenda(target, manifest.speakers)
    except AgendaError as exc:
        raise FieldError(field, f"the agenda cannot be read: {exc}") from None
    return written


def probe_recording(settings: Settings, path: Path, filename: str) -> float:
    """Probe the kept file; returns its duration. The message names the file as sent, not the
    temporary name it has on disk."""
    from ingest.probe import ProbeError, probe

    try:
        info = probe(path, max_duration=settings.max_duration_hours * 3600)
    except ProbeError as exc:
        raise FieldError("media", str(exc).replace(str(path), filename or "the recording")) from None
    return info.duration


def temporary_path(settings: Settings) -> Path:
    """Where an upload is written while it arrives: a unique hidden name in ARCHIVE_MEDIA_DIR,
    on the same file system as its final place, so accepting it is a rename."""
    folder = settings.storage.media_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".upload-{uuid.uuid4().hex}.part"


def final_name(settings: Settings, filename: str, sha256: str) -> str:
    """`<name>-<sha12><ext>` as `ingest` names its copies; `-2`... if another file has it.

    The name as sent is only a hint: its stem becomes a slug and its extension is kept only when
    it is letters and digits, so a `../`, a control character or a NUL byte never reaches a path."""
    stem = Path(filename or "recording").stem
    suffix = Path(filename or "").suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,9}", suffix) else ""
    base = f"{slugify(stem)[:60]}-{sha256[:12]}"
    name, n = f"{base}{suffix}", 2
    while (settings.storage.media_dir / name).exists():
        name, n = f"{base}-{n}{suffix}", n + 1
    return name


@dataclass(frozen=True)
class Accepted:
    job_id: int
    slug: str
    webinar_id: int


def _create_draft(
    session: Session,
    manifest: Manifest,
    agenda: str | None,
    media_name: str,
    sha256: str,
    duration: float,
    created_by: int | None,
) -> Accepted:
    existing = find_by_sha256(session, sha256)
    if existing is not None:
        raise ConflictError(
            f"this recording is already in the archive as {existing.slug!r}; "
            f"process it again with POST /api/webinars/{existing.slug}/reprocess",
            slug=existing.slug,
        )
    title = (manifest.title or "").strip()
    webinar = Webinar(
        slug=unique_slug(session, slugify(title)),
        title=title,
        date=manifest.date,
        description=manifest.description,
        language=manifest.language or "en",
        topics=list(manifest.topics),
        duration=duration,
        media_path=media_name,
        media_sha256=sha256,
        status=STATUS_PROCESSING,
        published=False,
        agenda=agenda,
    )
    session.add(webinar)
    session.flush()
    webinar_id = require_id(webinar)
    job = service.create_job(
        session,
        kind=JOB_INGEST,
        webinar_id=webinar_id,
        media_path=media_name,
        manifest=manifest,
        agenda=agenda,
        created_by=created_by,
    )
    session.commit()
    return Accepted(service.require_job_id(job), webinar.slug, webinar_id)


async def accept_recording(
    settings: Settings,
    database: Database,
    queue: JobQueue,
    path: Path,
    filename: str,
    manifest: Manifest,
    agenda: str | None,
    *,
    sha256: str | None = None,
    created_by: int | None = None,
) -> Accepted:
    """Probe the recording at `path` (already on disk, in ARCHIVE_MEDIA_DIR or elsewhere on the
    same file system), then keep it and queue its processing. On any error the file at `path`
    is deleted and nothing is stored; the caller has already checked manifest and agenda."""
    kept: Path | None = None
    try:
        duration = await anyio.to_thread.run_sync(probe_recording, settings, path, filename)
        digest = sha256 if sha256 else await anyio.to_thread.run_sync(media_sha256, path)
        name = final_name(settings, filename, digest)
        kept = settings.storage.media_dir / name
        path.replace(kept)
        accepted = await database.run(_create_draft, manifest, agenda, name, digest, duration, created_by)
    except BaseException:
        path.unlink(missing_ok=True)
        if kept is not None:
            kept.unlink(missing_ok=True)
        raise
    await enqueue(queue, accepted.job_id)
    return accepted


async def enqueue(queue: JobQueue, job_id: int) -> None:
    """Put the job on the queue; an unreachable queue is logged, not fatal: the row stays
    `queued` and a worker's start-up (or the hourly reap) sends it again."""
    try:
        await anyio.to_thread.run_sync(queue.enqueue, job_id)
    except Exception as exc:
        log.warning("job %d is stored but could not be queued (%s); a worker will pick it up", job_id, exc)


def problem_fields(exc: FieldError) -> dict[str, Any]:
    return {"field": exc.field, "reason": exc.reason}
