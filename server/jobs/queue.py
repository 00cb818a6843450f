"""The task queue: Huey, on a SQLite file by default or on Redis with QUEUE_URL.

Why Huey (docs/jobs.md): an existing engine with an embedded broker (SqliteHuey: a file, no
server, so `serve` alone is a complete archive) and a Redis broker for workers on many machines,
behind one API. Huey does not redeliver a task whose consumer was killed mid-run, so the queue
only says "look at job N"; the `processing_job` row's lease decides who runs it
(server/jobs/service.py), and `reap` puts back what a dead worker held.

`JobQueue` is built from the settings by whoever needs it (the app's lifespan to enqueue, the
worker to consume); nothing here is created at import time. Both sides register the same two
tasks under fixed names, so a message written by the site is understood by every worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import RedisHuey, SqliteHuey, crontab

from server.settings import Settings

log = logging.getLogger(__name__)

PROCESS_TASK = "process_job"
REAP_TASK = "reap_jobs"


class JobQueue:
    """A Huey instance for `settings` with the archive's tasks registered on it.

    `process` (job id -> None) and `reap` (-> None) are what the tasks call in the worker; the
    site, which only enqueues, leaves them unset and never runs a task.
    """

    def __init__(
        self,
        settings: Settings,
        process: Callable[[int], None] | None = None,
        reap: Callable[[], None] | None = None,
    ) -> None:
        jobs = settings.jobs
        self.settings = settings
        if jobs.queue_url:
            # blocking: workers wait on BRPOP instead of polling; results are not used.
            self.huey: Any = RedisHuey(jobs.queue_name, url=jobs.queue_url, results=False, blocking=True)
            self.where = f"Redis ({_without_password(jobs.queue_url)}), queue {jobs.queue_name!r}"
        else:
            path = settings.storage.data_dir / "queue.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(jobs.queue_name, filename=str(path), results=False)
            self.where = f"SQLite ({path}), queue {jobs.queue_name!r}"

        def process_job(job_id: int) -> None:
            if process is None:
                raise RuntimeError("this process only enqueues jobs")
            process(job_id)

        def reap_jobs() -> None:
            if reap is not None:
                reap()

        self._process = self.huey.task(name=PROCESS_TASK)(process_job)
        # Every minute, in whichever worker runs the scheduler; workers also reap on start-up
        # and on a timer of their own sized to the lease (server/jobs/worker.py).
        self._reap = self.huey.periodic_task(crontab(minute="*"), name=REAP_TASK)(reap_jobs)

    def enqueue(self, job_id: int) -> None:
        """Send "process job N" to the workers (blocking: call it off the event loop)."""
        self._process(job_id)

    def pending(self) -> int:
        """Messages waiting in the queue."""
        return int(self.huey.pending_count())

    def close(self) -> None:
        storage = self.huey.storage
        closer = getattr(storage, "close", None)
        if callable(closer):
            try:
                closer()
            except Exception as exc:  # closing is best effort
                log.debug("closing the queue: %s", exc)


def _without_password(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
