"""Running one job in a worker: probe -> transcribe -> find speakers -> structure -> store -> index.

The worker holds the job through a lease on its row (server/jobs/service.py). A `Heartbeat`
thread renews the lease every second or so and writes the stage and overall progress the job
page shows; it also reads `cancel_requested`. The pipeline's callbacks (each stage's start, each
transcribed segment) raise `JobCancelled` when staff cancelled the job, and `LeaseLost` when the
lease was lost (another worker took the job over after this one stalled), so work stops at the
next callback. The transcript is stored in the same transaction that checks the lease is still
ours, so only the holder ever stores; storing is idempotent anyway (the webinar is found by the
recording's sha256 and its parts replaced), so a job run twice ends with one webinar and one set
of segments.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

import msgspec
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ingest.errors import ArchiveError, InputError, UnavailableError
from ingest.metadata import parse_manifest
from ingest.models import MODEL_NAMES
from server.catalog import corrections, glossary, people
from server.catalog.db import session_scope
from server.catalog.drafts import generate_draft_or_log
from server.catalog.models import (
    JOB_INGEST,
    STATUS_FAILED,
    STATUS_PROCESSING,
    ProcessingJob,
    Webinar,
    require_id,
)
from server.catalog.status import set_status
from server.catalog.store import store_transcript
from server.jobs import service
from server.settings import Settings

if TYPE_CHECKING:
    from ingest.pipeline import PipelineOptions

log = logging.getLogger(__name__)

STAGE_SPANS: dict[str, tuple[float, float]] = {
    "probing": (0.0, 0.02),
    "transcribing": (0.02, 0.80),
    "finding speakers": (0.80, 0.92),
    "structuring": (0.92, 0.94),
    "embedding": (0.94, 0.95),
    "indexing": (0.95, 1.0),
}
"""Each stage's share of the overall progress 0..1, from where the time goes with tiny.en on two
CPU cores (transcription most of it, diarization most of the rest); stored progress only moves
forward inside a stage, so the estimate of the time left is rough but steady."""


STORED: Final = "stored"
"""Set in a job's `options` in the transaction that stores its transcript."""


class JobCancelled(Exception):
    """Staff asked to cancel the job; the worker stops at the next callback."""


class LeaseLost(Exception):
    """Another worker holds the job now: stop, and store nothing."""


def owner_prefix() -> str:
    """This process's part of a lease owner: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:"


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    engine: Engine


class Heartbeat:
    """Renews the lease and reports stage and progress from a thread of its own.

    Work in the pipeline never waits on the database: the callbacks only set attributes and
    raise if the last renewal found the job cancelled or lost.
    """

    def __init__(self, engine: Engine, job_id: int, owner: str, lease_seconds: float) -> None:
        self.engine = engine
        self.job_id = job_id
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.interval = min(1.0, lease_seconds / 4)
        self.stage: str | None = None
        self.progress = 0.0
        self.cancelled = False
        self.lost = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with session_scope(self.engine) as session:
                    renewal = service.renew(
                        session, self.job_id, self.owner, self.lease_seconds, self.stage, self.progress
                    )
                self.lost = self.lost or not renewal.held
                self.cancelled = self.cancelled or renewal.cancel_requested
            except Exception as exc:  # a busy or briefly unreachable database: try again next beat
                log.warning("job %d: could not renew the lease: %s", self.job_id, exc)
            self._wake.wait(self.interval)
            self._wake.clear()

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(f"job {self.job_id} is held by another worker now")
        if self.cancelled:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def set_stage(self, stage: str) -> None:
        """The pipeline's stage callback: report it at once (wakes the heartbeat)."""
        self.check()
        self.stage = stage
        self.progress = max(self.progress, STAGE_SPANS.get(stage, (self.progress, 1.0))[0])
        self._wake.set()

    def transcribed(self, done: float, total: float) -> None:
        """The transcriber's progress callback: seconds of audio done out of `total`."""
        self.check()
        low, high = STAGE_SPANS["transcribing"]
        fraction = done / total if total > 0 else 0.0
        self.progress = max(self.progress, low + (high - low) * min(1.0, fraction))


def run_job(context: WorkerContext, job_id: int) -> str:
    """Claim job `job_id` and run it to its end; returns what happened, in a word (for logs).

    Every outcome is written to the row: succeeded, failed (with a reason staff can act on),
    cancelled. A job this worker cannot claim (finished, cancelled, held by a live worker) is
    left alone, which is what makes duplicate deliveries harmless.
    """
    settings, engine = context.settings, context.engine
    owner = f"{owner_prefix()}{uuid.uuid4().hex[:8]}"
    lease = settings.jobs.lease_seconds
    with session_scope(engine) as session:
        job = service.claim(session, job_id, owner, lease)
    if job is None:
        log.info("job %d: not claimable (finished, cancelled or held by another worker)", job_id)
        return "skipped"
    log.info("job %d: claimed by %s (attempt %d)", job_id, owner, job.attempts)
    started = time.perf_counter()
    outcome = "succeeded"
    with Heartbeat(engine, job_id, owner, lease) as heartbeat:
        try:
            _process(context, job, owner, heartbeat)
        except JobCancelled:
            outcome = "cancelled"
            with session_scope(engine) as session:
                service.mark_cancelled(session, job_id, owner)
        except LeaseLost:
            log.warning("job %d: lease lost to another worker; this run stops and stores nothing", job_id)
            return "lost"
        except (ArchiveError, OSError) as exc:
            outcome = "failed"
            reason = str(exc) if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}"
            with session_scope(engine) as session:
                service.fail(session, job_id, owner, reason)
        except Exception as exc:
            if _connection_lost(exc):
                # The database went away under the job (a restart, a failover): not the job's
                # fault. It stays `running` with a lease nobody renews, so a reaper queues it
                # again once the lease runs out; nothing was stored unless the store committed,
                # and then the next attempt only indexes.
                log.warning("job %d: the database connection was lost (%s); it will run again", job_id, exc)
                return "interrupted"
            outcome = "failed"
            log.exception("job %d failed", job_id)
            with session_scope(engine) as session:
                service.fail(session, job_id, owner, f"unexpected failure: {type(exc).__name__}: {exc}")
        else:
            with session_scope(engine) as session:
                if not service.succeed(session, job_id, owner):
                    return "lost"
    if outcome != "succeeded" and job.kind == JOB_INGEST and job.webinar_id is not None:
        _mark_draft_failed(engine, job.webinar_id)
    log.info("job %d: %s in %.1f s", job_id, outcome, time.perf_counter() - started)
    return outcome


def _connection_lost(exc: BaseException) -> bool:
    """Whether `exc` is the database connection dropping (SQLAlchemy invalidated it), rather
    than a failure of the job's own."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _mark_draft_failed(engine: Engine, webinar_id: int) -> None:
    """An upload whose processing did not finish: its draft row says so (it was never listed)."""
    with session_scope(engine) as session:
        webinar = session.get(Webinar, webinar_id)
        if webinar is not None and webinar.status == STATUS_PROCESSING:
            set_status(session, [webinar_id], STATUS_FAILED)
            session.commit()


def _media_path(settings: Settings, job: ProcessingJob) -> Path:
    if not job.media_path:
        raise InputError(f"job {job.id} names no recording")
    path = Path(job.media_path)
    return path if path.is_absolute() else settings.storage.media_dir / path


def pipeline_options(settings: Settings, job: ProcessingJob, learned: tuple[str, ...]) -> PipelineOptions:
    """The ingest's options for `job`: the worker's model unless the job names one (a
    re-processing with another model), the archive's glossary (`learned`), and segment languages
    when staff asked for them."""
    from ingest.pipeline import PipelineOptions
    from ingest.transcribe import ModelConfig

    whisper = settings.whisper
    model = str(job.options.get("model") or whisper.model)
    if model not in MODEL_NAMES and model != whisper.model:
        raise InputError(f"model {model!r}: expected one of {', '.join(MODEL_NAMES)}")
    return PipelineOptions(
        model=ModelConfig(model, whisper.device, whisper.compute_type, settings.storage.data_dir / "models"),
        max_duration=settings.max_duration_hours * 3600,
        extra_vocabulary=learned,
        segment_languages=bool(job.options.get("segment_languages")),
    )


def _process(context: WorkerContext, job: ProcessingJob, owner: str, heartbeat: Heartbeat) -> None:
    from ingest.pipeline import run

    settings, engine = context.settings, context.engine
    job_id = service.require_job_id(job)
    if job.webinar_id is None:
        raise InputError("the job's webinar was deleted; there is nothing to process it for")
    with session_scope(engine) as session:
        webinar = session.get(Webinar, job.webinar_id)
        if webinar is None:
            raise InputError("the job's webinar was deleted; there is nothing to process it for")
        sha256 = webinar.media_sha256
        # The archive's glossary (names staff corrected or confirmed), next to the manifest's.
        learned = glossary.ingest_vocabulary(session)
    if job.options.get(STORED):
        # An earlier attempt stored the transcript and stopped before the index had it (its
        # worker was killed while indexing): only the indexing is left, not hours of transcription.
        heartbeat.set_stage("indexing")
        _index(context, job.webinar_id)
        return
    manifest = parse_manifest(job.manifest)
    if job.agenda:  # the upload's agenda field: kept with the webinar as the manifest's would be
        manifest = msgspec.structs.replace(manifest, agenda=job.agenda)
    options = pipeline_options(settings, job, learned)
    media = _media_path(settings, job)
    result = run(
        media,
        manifest,
        options,
        heartbeat.transcribed,
        stage=heartbeat.set_stage,
    )
    heartbeat.set_stage("indexing")
    stored_path = Path(job.media_path or media.name)
    with session_scope(engine) as session:
        # The lease check and the store commit together: only the job's holder stores.
        if not service.hold(session, job_id, owner, settings.jobs.lease_seconds, stage="indexing"):
            raise LeaseLost(f"job {job_id} is held by another worker now")
        if session.get(Webinar, job.webinar_id) is None:  # deleted while it was processed
            raise InputError("the webinar was deleted while it was processed; nothing was stored")
        # Staff corrections survive a re-processing unless staff chose to discard them; the job
        # records which segments and named voices it kept (`options["kept_corrections"]`,
        # `options["kept_voices"]`).
        keep = job.kind != JOB_INGEST and not job.options.get("discard_corrections")
        kept = corrections.corrected_segments(session, job.webinar_id) if keep else []
        voices = people.named_voices(session, job.webinar_id) if keep else []
        stored = store_transcript(
            session,
            dataclasses.replace(result.media, path=stored_path),
            sha256,
            manifest,
            result.transcript,
        )
        webinar_id = require_id(stored)
        # The voices staff named go to the new voices that speak at the same times, before
        # the kept segments take the new voices' labels.
        named = people.keep_voices(session, stored, voices, "re-processing (kept)")
        if kept or named:
            kept_ids = corrections.keep_corrections(session, stored, kept)
            _note(
                session,
                job_id,
                kept_corrections=[
                    {"segment": i, "start": s["start"], "end": s["end"], "text": s["text"]}
                    for i, s in zip(kept_ids, kept, strict=True)
                ],
                kept_voices=[
                    {"label": label, "person": people.get_person(session, person_id).name}
                    for label, person_id in named
                ],
            )
        if result.agenda_warnings:  # lines the ingest left out of the agenda: staff should see why
            _note(session, job_id, agenda_warnings=[str(warning) for warning in result.agenda_warnings])
        generate_draft_or_log(session, stored)  # for staff to review; never public
        _mark_stored(session, job_id)
        session.commit()
    _index(context, webinar_id)  # stored: from here on the job finishes, even if cancelled now


def _mark_stored(session: Session, job_id: int) -> None:
    """In the store's transaction: the job's transcript is in the catalogue, so a later attempt
    (after a worker killed while indexing) only indexes."""
    _note(session, job_id, **{STORED: True})


def _note(session: Session, job_id: int, **facts: object) -> None:
    """Record facts about the run in the job's options (a JSON column: assigned anew, not
    mutated, so the change is seen), in the caller's transaction."""
    row = session.get(ProcessingJob, job_id)
    if row is not None:
        row.options = {**row.options, **facts}
        session.add(row)


def _index(context: WorkerContext, webinar_id: int) -> None:
    """Index the stored webinar; an unreachable Meilisearch leaves it `index_pending` (the site's
    start-up or `reindex` catches up), which does not fail the job."""
    from server.search.indexer import index_catalogue

    settings = context.settings
    try:
        report = index_catalogue(settings, context.engine, [webinar_id], index_uid=settings.search.index_uid)
    except UnavailableError as exc:
        log.warning(
            "webinar %d stored; the search index is unreachable (%s): it stays pending", webinar_id, exc
        )
        return
    log.info("indexed %d segments", report.documents)
