"""The job rows: create, claim, renew, finish, fail, cancel, retry, reap.

The queue (Huey) only carries "look at job N"; what a job is, how far it got and who works on
it live in `processing_job`. Huey does not redeliver a task whose consumer was killed, so a
worker *claims* a job with one conditional UPDATE (state queued, or running with an expired
lease) that sets `lease_owner` and `lease_expires_at`: whichever worker's UPDATE matches first
holds the job, and any other delivery of the same job finds nothing to claim. The holder renews
the lease while it works; a killed worker stops renewing, `reap` finds the expired lease and
puts the job on the queue again, and the next claim counts a new attempt.

Each function here is one unit of work: it commits before returning (claims and renewals must
be visible to other workers at once). The web app calls them through `Database.run`, the worker
with a session of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from ingest.errors import ConflictError, NotFoundError
from ingest.metadata import AgendaEntry, Manifest, Person, ResourceLink
from server.catalog.models import (
    JOB_CANCELLED,
    JOB_FAILED,
    JOB_INGEST,
    JOB_QUEUED,
    JOB_REPROCESS,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    ProcessingJob,
    Resource,
    Webinar,
    WebinarPerson,
    require_id,
    utcnow,
)
from server.catalog.models import Person as PersonRow

FINISHED_STATES = (JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED)


def require_job_id(job: ProcessingJob) -> int:
    if job.id is None:  # only before a flush
        raise RuntimeError("job has no id yet")
    return job.id


def get_job(session: Session, job_id: int) -> ProcessingJob:
    job = session.get(ProcessingJob, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    return job


def manifest_data(manifest: Manifest) -> dict[str, Any]:
    """The manifest as JSON-ready data (dates as ISO text), as the job row keeps it."""
    data: dict[str, Any] = msgspec.to_builtins(manifest)
    return {k: v for k, v in data.items() if v not in (None, [], {})}


def create_job(
    session: Session,
    *,
    kind: str,
    webinar_id: int | None,
    media_path: str,
    manifest: Manifest,
    agenda: str | None = None,
    options: dict[str, Any] | None = None,
    created_by: int | None = None,
) -> ProcessingJob:
    """A queued job row; flushed, not committed (it goes in with the upload's draft webinar)."""
    job = ProcessingJob(
        kind=kind,
        webinar_id=webinar_id,
        media_path=media_path,
        manifest=manifest_data(manifest),
        agenda=agenda,
        options=dict(options or {}),
        created_by=created_by,
    )
    session.add(job)
    session.flush()
    return job


def claim(session: Session, job_id: int, owner: str, lease_seconds: float) -> ProcessingJob | None:
    """Take job `job_id` for `owner`, or None when it is not there to take.

    One UPDATE with the whole condition in its WHERE: the database applies it to the row once
    (SQLite serialises writers; PostgreSQL re-checks the WHERE on the locked row), so two
    workers given the same job cannot both match, and neither can a delivery of a job that is
    finished, cancelled or held by a live worker.
    """
    now = utcnow()
    claimed = session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.cancel_requested).is_(False))
        .where(
            or_(
                col(ProcessingJob.state) == JOB_QUEUED,
                and_(
                    col(ProcessingJob.state) == JOB_RUNNING,
                    col(ProcessingJob.lease_expires_at) < now,
                ),
            )
        )
        .values(
            state=JOB_RUNNING,
            stage=None,
            progress=0.0,
            error=None,
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
            attempts=col(ProcessingJob.attempts) + 1,
            started_at=now,
            finished_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(ProcessingJob, job_id, populate_existing=True)


@dataclass(frozen=True)
class Renewal:
    held: bool
    """False when another worker holds the job now (or it was taken back): stop, store nothing."""
    cancel_requested: bool


def renew(
    session: Session,
    job_id: int,
    owner: str,
    lease_seconds: float,
    stage: str | None = None,
    progress: float | None = None,
) -> Renewal:
    """Push the lease forward and record the stage and progress, if `owner` still holds it."""
    now = utcnow()
    values: dict[str, Any] = {
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "updated_at": now,
    }
    if stage is not None:
        values["stage"] = stage
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, progress))
    result = session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.lease_owner) == owner)
        .where(col(ProcessingJob.state) == JOB_RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    held = result.rowcount == 1  # type: ignore[attr-defined]
    cancel = session.exec(select(ProcessingJob.cancel_requested).where(ProcessingJob.id == job_id)).first()
    session.commit()
    return Renewal(held, bool(cancel))


def hold(session: Session, job_id: int, owner: str, lease_seconds: float, stage: str | None = None) -> bool:
    """Inside the caller's transaction: renew the lease if `owner` holds it; False if not.

    The worker calls this in the same transaction as its store, so the transcript is stored only
    by the worker that holds the job at that moment (the row stays locked until commit).
    """
    now = utcnow()
    values: dict[str, Any] = {
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "updated_at": now,
    }
    if stage is not None:
        values["stage"] = stage
    result = session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.lease_owner) == owner)
        .where(col(ProcessingJob.state) == JOB_RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _finish(session: Session, job_id: int, owner: str, state: str, **values: Any) -> bool:
    now = utcnow()
    result = session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.lease_owner) == owner)
        .where(col(ProcessingJob.state) == JOB_RUNNING)
        .values(
            state=state, lease_owner=None, lease_expires_at=None, finished_at=now, updated_at=now, **values
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def succeed(session: Session, job_id: int, owner: str) -> bool:
    return _finish(session, job_id, owner, JOB_SUCCEEDED, progress=1.0, stage=None, error=None)


def fail(session: Session, job_id: int, owner: str, error: str) -> bool:
    return _finish(session, job_id, owner, JOB_FAILED, error=error)


def mark_cancelled(session: Session, job_id: int, owner: str) -> bool:
    return _finish(session, job_id, owner, JOB_CANCELLED, error="cancelled by staff")


def request_cancel(session: Session, job_id: int) -> ProcessingJob:
    """Cancel a job: a queued one at once; a running one is stopped by its worker within a
    heartbeat (between stages, or between transcribed segments). Finished jobs are refused."""
    job = get_job(session, job_id)
    if job.state in FINISHED_STATES:
        raise ConflictError(f"job {job_id} has already {job.state}; there is nothing to cancel")
    now = utcnow()
    session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # Nobody works on a queued job: it ends here (a later delivery finds nothing to claim).
    session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.state) == JOB_QUEUED)
        .values(state=JOB_CANCELLED, error="cancelled by staff", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return get_job_fresh(session, job_id)


def get_job_fresh(session: Session, job_id: int) -> ProcessingJob:
    job = session.get(ProcessingJob, job_id, populate_existing=True)
    if job is None:
        raise NotFoundError(f"no job {job_id}")
    return job


def retry(session: Session, job_id: int) -> ProcessingJob:
    """A failed or cancelled job queued again (the caller enqueues it)."""
    job = get_job(session, job_id)
    if job.state not in (JOB_FAILED, JOB_CANCELLED):
        raise ConflictError(f"job {job_id} is {job.state}; only a failed or cancelled job can be retried")
    now = utcnow()
    session.execute(
        update(ProcessingJob)
        .where(col(ProcessingJob.id) == job_id)
        .where(col(ProcessingJob.state).in_((JOB_FAILED, JOB_CANCELLED)))
        .values(
            state=JOB_QUEUED,
            stage=None,
            progress=0.0,
            error=None,
            cancel_requested=False,
            finished_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return get_job_fresh(session, job_id)


def reap(session: Session, stale_after: float) -> list[int]:
    """Jobs to put on the queue again: running ones whose lease ran out (their worker died),
    and queued ones untouched for `stale_after` seconds (their message was lost, e.g. enqueued
    while the queue was unreachable). Running ones go back to `queued`; both get `updated_at`
    touched so they are not re-sent on every pass. A duplicate delivery is harmless: only one
    claim can match.
    """
    now = utcnow()
    expired = list(
        session.exec(
            select(ProcessingJob.id)
            .where(ProcessingJob.state == JOB_RUNNING)
            .where(col(ProcessingJob.lease_expires_at) < now)
        ).all()
    )
    stale = list(
        session.exec(
            select(ProcessingJob.id)
            .where(ProcessingJob.state == JOB_QUEUED)
            .where(col(ProcessingJob.updated_at) < now - dt.timedelta(seconds=stale_after))
        ).all()
    )
    if expired:
        # Cancelled while its worker was gone: nobody will run it again, so it ends here.
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id).in_(expired))
            .where(col(ProcessingJob.state) == JOB_RUNNING)
            .where(col(ProcessingJob.lease_expires_at) < now)
            .where(col(ProcessingJob.cancel_requested).is_(True))
            .values(
                state=JOB_CANCELLED,
                lease_owner=None,
                lease_expires_at=None,
                error="cancelled by staff",
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id).in_(expired))
            .where(col(ProcessingJob.state) == JOB_RUNNING)
            .where(col(ProcessingJob.lease_expires_at) < now)
            .values(
                state=JOB_QUEUED,
                lease_owner=None,
                lease_expires_at=None,
                error="its worker stopped; queued again",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    if stale:
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id).in_(stale))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    candidates = sorted({i for i in [*expired, *stale] if i is not None})
    if not candidates:
        return []
    # Only what is queued now is worth a message (not what was just ended as cancelled).
    queued = session.exec(
        select(ProcessingJob.id)
        .where(col(ProcessingJob.id).in_(candidates))
        .where(ProcessingJob.state == JOB_QUEUED)
    ).all()
    session.commit()
    return sorted(i for i in queued if i is not None)


def list_jobs(session: Session, limit: int = 50) -> list[tuple[ProcessingJob, str | None]]:
    """The newest jobs with their webinar's slug, for the staff dashboard."""
    rows = session.exec(
        select(ProcessingJob, Webinar.slug)
        .join(Webinar, col(Webinar.id) == col(ProcessingJob.webinar_id), isouter=True)
        .order_by(col(ProcessingJob.id).desc())
        .limit(limit)
    ).all()
    return [(job, slug) for job, slug in rows]


def webinar_slug(session: Session, webinar_id: int | None) -> str | None:
    if webinar_id is None:
        return None
    webinar = session.get(Webinar, webinar_id)
    return webinar.slug if webinar is not None else None


def manifest_of(session: Session, webinar: Webinar) -> Manifest:
    """A stored webinar's metadata in the manifest's format, for processing it again."""
    webinar_id = require_id(webinar)
    people = session.exec(
        select(PersonRow, WebinarPerson)
        .join(WebinarPerson, col(WebinarPerson.person_id) == col(PersonRow.id))
        .where(WebinarPerson.webinar_id == webinar_id)
        .order_by(col(WebinarPerson.position))
    ).all()
    resources = session.exec(
        select(Resource).where(Resource.webinar_id == webinar_id).order_by(col(Resource.position))
    ).all()
    text = webinar.agenda
    agenda: str | list[AgendaEntry] | None = text
    if text and text.lstrip().startswith("["):
        # (a written agenda that happens to start with a bracket stays text)
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            agenda = msgspec.json.decode(text, type=list[AgendaEntry])
    return Manifest(
        title=webinar.title,
        date=webinar.date,
        description=webinar.description,
        language=webinar.language or None,
        topics=list(webinar.topics),
        speakers=[
            Person(name=p.name, role=link.role, affiliation=p.affiliation, project=p.project)
            for p, link in people
        ],
        resources=[ResourceLink(title=r.title, url=r.url) for r in resources],
        agenda=agenda,
    )


def create_reprocess(
    session: Session, slug: str, options: dict[str, Any], created_by: int | None = None
) -> ProcessingJob:
    """A job that processes a stored webinar again (its recording and metadata as stored)."""
    webinar = session.exec(select(Webinar).where(Webinar.slug == slug)).first()
    if webinar is None:
        raise NotFoundError(f"no webinar with slug {slug!r}")
    webinar_id = require_id(webinar)
    busy = session.exec(
        select(ProcessingJob.id)
        .where(ProcessingJob.webinar_id == webinar_id)
        .where(col(ProcessingJob.state).in_((JOB_QUEUED, JOB_RUNNING)))
    ).first()
    if busy is not None:
        raise ConflictError(f"webinar {slug!r} already has job {busy} waiting or running")
    job = create_job(
        session,
        kind=JOB_REPROCESS,
        webinar_id=webinar_id,
        media_path=webinar.media_path,
        manifest=manifest_of(session, webinar),
        options=options,
        created_by=created_by,
    )
    session.commit()
    return job


def jobs_of(session: Session, ids: Sequence[int]) -> list[ProcessingJob]:
    if not ids:
        return []
    return list(session.exec(select(ProcessingJob).where(col(ProcessingJob.id).in_(list(ids)))).all())


__all__ = [
    "FINISHED_STATES",
    "JOB_INGEST",
    "Renewal",
    "claim",
    "create_job",
    "create_reprocess",
    "fail",
    "get_job",
    "hold",
    "list_jobs",
    "manifest_of",
    "mark_cancelled",
    "reap",
    "renew",
    "request_cancel",
    "retry",
    "succeed",
]


def release(session: Session, owner_prefix: str) -> list[int]:
    """A worker shutting down hands back the jobs it holds (queued again at once, not after the
    lease runs out); returns their ids for the caller to enqueue. Its threads may still be
    running them: they find the lease gone at their next heartbeat and store nothing."""
    now = utcnow()
    held = list(
        session.exec(
            select(ProcessingJob.id)
            .where(ProcessingJob.state == JOB_RUNNING)
            .where(col(ProcessingJob.lease_owner).startswith(owner_prefix))
        ).all()
    )
    if held:
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id).in_(held))
            .where(col(ProcessingJob.state) == JOB_RUNNING)
            .where(col(ProcessingJob.lease_owner).startswith(owner_prefix))
            .values(
                state=JOB_QUEUED,
                lease_owner=None,
                lease_expires_at=None,
                error="its worker shut down; queued again",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return [i for i in held if i is not None]
