"""The job rows' rules (server/jobs/service.py) on SQLite and PostgreSQL: one claim wins, a
lease is renewed only by its holder, an expired lease is reaped and claimed again (attempts
count), cancel and retry move only the states they should, a shutting-down worker hands its
jobs back. No worker, model or queue: the rows alone."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from ingest.errors import ConflictError
from ingest.metadata import Manifest, Person
from server.catalog.models import JOB_INGEST, ProcessingJob, Webinar, utcnow
from server.jobs import service
from server.jobs.api import eta_seconds


def _job(engine: Engine) -> int:
    with Session(engine) as session:
        webinar = Webinar(slug="w", title="W", media_path="w.opus", media_sha256="a" * 64, published=False)
        session.add(webinar)
        session.flush()
        manifest = Manifest(title="W", date=dt.date(2024, 5, 14), speakers=[Person(name="Ana Ribeiro")])
        job = service.create_job(
            session, kind=JOB_INGEST, webinar_id=webinar.id, media_path="w.opus", manifest=manifest
        )
        session.commit()
        assert job.manifest["date"] == "2024-05-14"  # JSON as the job row keeps it
        assert job.manifest["speakers"][0]["name"] == "Ana Ribeiro"
        return service.require_job_id(job)


def _get(engine: Engine, job_id: int) -> ProcessingJob:
    with Session(engine) as session:
        return service.get_job(session, job_id)


def test_only_one_of_many_simultaneous_claims_wins(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        with Session(catalog_engine) as session:
            if service.claim(session, job_id, owner, 30) is not None:
                winners.append(owner)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    job = _get(catalog_engine, job_id)
    assert job.state == "running"
    assert job.lease_owner == winners[0]
    assert job.attempts == 1


def test_lease_is_renewed_by_its_holder_only_and_reaped_when_it_runs_out(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    with Session(catalog_engine) as session:
        assert service.claim(session, job_id, "a", 30) is not None
        assert service.claim(session, job_id, "b", 30) is None  # held, not expired
        assert service.renew(session, job_id, "a", 30, "transcribing", 0.4).held
        assert not service.renew(session, job_id, "b", 30).held
        assert service.reap(session, stale_after=3600) == []  # a live lease is left alone
    job = _get(catalog_engine, job_id)
    assert (job.stage, job.progress) == ("transcribing", 0.4)

    with Session(catalog_engine) as session:  # the holder dies: nobody renews
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id) == job_id)
            .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()
        assert service.reap(session, stale_after=3600) == [job_id]
    assert _get(catalog_engine, job_id).state == "queued"
    with Session(catalog_engine) as session:
        assert service.claim(session, job_id, "b", 30) is not None
        assert not service.renew(session, job_id, "a", 30).held  # the dead holder cannot come back
        assert not service.hold(session, job_id, "a", 30)
        session.commit()
        assert service.succeed(session, job_id, "b")
    job = _get(catalog_engine, job_id)
    assert (job.state, job.attempts, job.lease_owner, job.progress) == ("succeeded", 2, None, 1.0)


def test_cancel_and_retry(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    with Session(catalog_engine) as session:
        assert service.request_cancel(session, job_id).state == "cancelled"  # queued: at once
        assert service.claim(session, job_id, "a", 30) is None
        with pytest.raises(ConflictError):
            service.request_cancel(session, job_id)
        assert service.retry(session, job_id).state == "queued"
        with pytest.raises(ConflictError):
            service.retry(session, job_id)  # queued: nothing to retry
        assert service.claim(session, job_id, "a", 30) is not None
        running = service.request_cancel(session, job_id)  # running: its worker stops it
        assert running.state == "running"
        assert running.cancel_requested
        assert service.renew(session, job_id, "a", 30).cancel_requested
        assert service.mark_cancelled(session, job_id, "a")
        assert service.fail(session, job_id, "a", "too late") is False  # no longer held
    assert _get(catalog_engine, job_id).error == "cancelled by staff"


def test_a_job_cancelled_while_its_worker_was_dead_ends_cancelled(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    with Session(catalog_engine) as session:
        service.claim(session, job_id, "dead", 30)
        service.request_cancel(session, job_id)
        session.execute(
            update(ProcessingJob)
            .where(col(ProcessingJob.id) == job_id)
            .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        session.commit()
        assert service.reap(session, stale_after=3600) == []  # nothing to send: it is over
    job = _get(catalog_engine, job_id)
    assert (job.state, job.lease_owner, job.error) == ("cancelled", None, "cancelled by staff")


def test_a_stopping_worker_hands_its_jobs_back(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    with Session(catalog_engine) as session:
        service.claim(session, job_id, "host:42:abc", 30)
        assert service.release(session, "host:41:") == []
        assert service.release(session, "host:42:") == [job_id]
    job = _get(catalog_engine, job_id)
    assert (job.state, job.lease_owner) == ("queued", None)


def test_stale_queued_jobs_are_sent_again(catalog_engine: Engine) -> None:
    job_id = _job(catalog_engine)
    with Session(catalog_engine) as session:
        assert service.reap(session, stale_after=3600) == []
        time.sleep(0.01)
        assert service.reap(session, stale_after=0) == [job_id]


def test_eta_from_progress() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 40, tzinfo=dt.UTC)
    job = ProcessingJob(state="running", progress=0.4, started_at=now - dt.timedelta(seconds=40))
    assert eta_seconds(job, now) == 60.0
    assert eta_seconds(ProcessingJob(state="running", progress=0.01, started_at=now), now) is None
    assert eta_seconds(ProcessingJob(state="queued"), now) is None
