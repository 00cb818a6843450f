"""`webinar-archive worker`: a Huey consumer that runs processing jobs.

One process, `--concurrency` threads: the speech and speaker models are loaded once per process
(`ingest.transcribe.load_model` and `ingest.speakers.default_diarizer` cache), and a thread per
job shares them. Besides Huey's periodic reap (every minute, whichever worker runs it), each
worker reaps on start-up (every unfinished job not held by a live lease gets a message again,
in case the queue lost it) and then every half lease: a job whose worker was killed is back on
the queue within about 1.5 leases of the kill, and a queued job whose message was lost (the
queue is empty, the job has waited LOST_MESSAGE_SECONDS) is sent again.

Stopping: SIGINT waits for running jobs to finish (Huey's graceful stop); SIGTERM stops at once
and hands the jobs this process held back to the queue.
"""

from __future__ import annotations

import logging
import threading

from server.catalog.db import create_db_engine, session_scope, upgrade_database
from server.jobs import service
from server.jobs.queue import JobQueue
from server.jobs.runner import WorkerContext, owner_prefix, run_job
from server.settings import Settings

log = logging.getLogger(__name__)

STALE_QUEUED_SECONDS = 3600.0
"""A queued job untouched this long is sent again by the periodic reap (its message may be lost);
sooner would flood a long queue with duplicates, which are harmless but wasteful."""


LOST_MESSAGE_SECONDS = 10.0
"""A queued job untouched this long while the queue holds no message at all has lost its message
(a Redis that restarted without its data, an upload made while the queue was unreachable), and
is sent again at the next reap instead of after STALE_QUEUED_SECONDS. Had the message only been
taken by a worker at that instant, the duplicate is dropped by the claim."""


def stale_after(queue: JobQueue, lease_seconds: float) -> float:
    """How long a queued job may wait before the periodic reap sends its message again."""
    try:
        empty = queue.pending() == 0
    except Exception:  # the queue is unreachable: a message could not be sent anyway
        return STALE_QUEUED_SECONDS
    return max(LOST_MESSAGE_SECONDS, 2 * lease_seconds) if empty else STALE_QUEUED_SECONDS


def reap_and_enqueue(context: WorkerContext, queue: JobQueue, stale_after: float) -> list[int]:
    with session_scope(context.engine) as session:
        ids = service.reap(session, stale_after)
    for job_id in ids:
        queue.enqueue(job_id)
    if ids:
        log.info("jobs queued again: %s", ", ".join(map(str, ids)))
    return ids


def run_worker(settings: Settings, concurrency: int = 1) -> None:
    """Consume jobs until stopped by a signal."""
    engine = create_db_engine(settings.storage.database_url)
    upgrade_database(engine)
    context = WorkerContext(settings, engine)
    queue: JobQueue

    def reap_periodic() -> None:
        reap_and_enqueue(context, queue, stale_after(queue, settings.jobs.lease_seconds))

    queue = JobQueue(settings, process=lambda job_id: _run(context, job_id), reap=reap_periodic)
    reap_and_enqueue(context, queue, 0.0)  # start-up: whatever was never delivered goes again
    # Said after the start-up reap: from this line on, a job uploaded has exactly one message.
    log.info("worker %s: %d thread(s), queue on %s", owner_prefix().rstrip(":"), concurrency, queue.where)

    stop = threading.Event()
    interval = max(1.0, settings.jobs.lease_seconds / 2)

    def reaper() -> None:
        while not stop.wait(interval):
            try:
                reap_periodic()
            except Exception as exc:  # the database or the queue is briefly away: next pass
                log.warning("reaping jobs failed: %s", exc)

    thread = threading.Thread(target=reaper, name="job-reaper", daemon=True)
    thread.start()
    consumer = queue.huey.create_consumer(
        workers=concurrency,
        worker_type="thread",
        periodic=True,
        initial_delay=0.1,
        max_delay=1.0,
        backoff=1.15,
    )
    try:
        consumer.run()
    finally:
        stop.set()
        with session_scope(engine) as session:
            released = service.release(session, owner_prefix())
        for job_id in released:
            queue.enqueue(job_id)
        if released:
            log.info("handed back jobs %s", ", ".join(map(str, released)))
        queue.close()
        engine.dispose()


def _run(context: WorkerContext, job_id: int) -> None:
    run_job(context, job_id)
