"""Helpers for the processing-job tests: a real `webinar-archive worker` process, the app
through Litestar's test client, and polling a job until it gets somewhere.

Every test gets its own catalogue (SQLite file), media folder, search index and queue (a SQLite
queue file under its data folder, or a Redis queue with a name of its own), so workers of one
test never see another's jobs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from server.search.process import MeiliConnection
from server.settings import JobSettings, SearchSettings, Settings, StorageSettings

DATA = Path(__file__).parent / "data"
RECORDING = DATA / "two_voices.opus"
MANIFEST = DATA / "two_voices.manifest.yaml"
LEASE_SECONDS = 3.0
"""Short, so a killed worker's job is picked up again within seconds."""
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass
class JobEnv:
    settings: Settings
    meili: MeiliConnection
    root: Path

    def worker_env(self) -> dict[str, str]:
        settings = self.settings
        env = {
            **os.environ,
            "ARCHIVE_DATA_DIR": str(settings.storage.data_dir),
            "ARCHIVE_MEDIA_DIR": str(settings.storage.media_dir),
            "DATABASE_URL": settings.storage.database_url,
            "MEILI_URL": self.meili.url,
            "MEILI_MASTER_KEY": self.meili.api_key or "",
            "MEILI_INDEX": settings.search.index_uid,
            "QUEUE_NAME": settings.jobs.queue_name,
            "JOB_LEASE_SECONDS": str(settings.jobs.lease_seconds),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("QUEUE_URL", None)
        if settings.jobs.queue_url:
            env["QUEUE_URL"] = settings.jobs.queue_url
        return env


def make_env(
    root: Path, meili: MeiliConnection, index_uid: str, queue_url: str | None = None, max_upload: int = 0
) -> JobEnv:
    data_dir, media_dir = root / "var", root / "media"
    data_dir.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(parents=True, exist_ok=True)
    jobs = JobSettings(
        queue_url=queue_url,
        queue_name=f"test-{uuid.uuid4().hex[:10]}",
        lease_seconds=LEASE_SECONDS,
        max_upload_bytes=max_upload or JobSettings().max_upload_bytes,
    )
    settings = Settings(
        storage=StorageSettings(data_dir, media_dir, f"sqlite:///{data_dir / 'archive.db'}"),
        search=SearchSettings(meili.url, meili.api_key, index_uid),
        jobs=jobs,
    )
    return JobEnv(settings, meili, root)


class Worker:
    """`python -m server.cli worker` as a child process, its output in a log file."""

    count = 0

    def __init__(self, env: JobEnv) -> None:
        Worker.count += 1
        self.log_path = env.root / f"worker-{Worker.count}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "worker", "--concurrency", "1"],
            env=env.worker_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[1],
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the worker has done its start-up reap (it says so with its queue). A job uploaded
        before then may be sent twice, the upload's message and the reap's, and a second worker
        could then take the spare message instead of reaping the job itself."""
        deadline = time.monotonic() + timeout
        while "queue on" not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker was not ready in {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.05)


def upload(
    client: TestClient[Litestar],
    media: bytes | None = None,
    filename: str = "two_voices.opus",
    manifest: str | None = None,
    agenda: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    files = {"media": (filename, RECORDING.read_bytes() if media is None else media, "audio/ogg")}
    data = {"manifest": MANIFEST.read_text(encoding="utf-8") if manifest is None else manifest}
    if agenda is not None:
        data["agenda"] = agenda
    return client.post("/api/webinars", files=files, data=data, headers=headers or {})


def wait_for(
    client: TestClient[Litestar],
    job_id: int,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 120.0,
    seen: list[dict[str, Any]] | None = None,
    interval: float = 0.1,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Poll GET /api/jobs/<id> until `done(job)`; every answer is appended to `seen`."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/jobs/{job_id}", headers=headers or {})
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if seen is not None:
            seen.append(job)
        if done(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not get there in {timeout:.0f} s: {job}")
        time.sleep(interval)


def finished(job: dict[str, Any]) -> bool:
    return job["state"] in FINISHED


def longer_recording(path: Path, repeats: int = 4) -> Path:
    """two_voices played `repeats` times over, as a 16 kHz mono WAV (about 2.5 minutes for 4):
    long enough that a worker can be caught, and killed, in the middle of transcribing it."""
    import wave

    import numpy as np

    from ingest.audio import load

    samples = load(RECORDING, 16_000).samples
    pcm = (np.clip(np.tile(samples, repeats), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm.tobytes())
    return path
