"""The archive spread over machines, as docs/scaling.md lays it out, with every part real: the
catalogue on PostgreSQL (TEST_DATABASE_URL, a schema of its own), one Meilisearch shared by all,
the job queue on Redis (TEST_REDIS_URL, a queue name of its own), two web processes
(`webinar-archive serve --no-worker`) and two workers (`webinar-archive worker`). Each process
has a data folder of its own, as a machine would, and they share only what machines share: the
database, the index, the queue, the media folder and ARCHIVE_SECRET_KEY.

Several uploads sent at once, half to each web process: every job is claimed once, by one
worker, in one attempt, and both workers take some; every webinar ends searchable through both
web processes; an edit made through one shows at once in the other's replay page, API and
search, although that process had the page in its cache.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import uuid
import wave
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import text

from server.catalog.db import create_db_engine
from server.search.process import MeiliConnection
from server.settings import JobSettings, SearchSettings, Settings, StorageSettings
from tests.jobs_harness import MANIFEST, RECORDING, JobEnv, Worker
from tests.load_traffic import ROOT, serve
from tests.site_data import add_account, add_token

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REDIS_SKIP_REASON = "TEST_REDIS_URL not set: the scaled layout test did not run"
STAFF = "scale@example.org"
CLAIMED = re.compile(r"job (\d+): claimed by (\S+?):(\d+):")
CUTS = (11.5, 12.0, 12.5, 13.0)
"""The uploads: the first seconds of two_voices (the consortium is named at 3 s, the second voice
starts at 5.5 s), each cut a file of its own, so none is refused as already in the archive."""


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP_REASON)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"TEST_REDIS_URL is set but Redis cannot be used: {exc}", pytrace=False)
    return url


def _recordings(folder: Path) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each upload, a 16 kHz WAV."""
    from ingest.audio import load

    samples = load(RECORDING, 16_000).samples
    out = []
    for seconds in CUTS:
        path = folder / f"two_voices_{seconds:g}s.wav"
        pcm = (np.clip(samples[: int(seconds * 16_000)], -1.0, 1.0) * 32767).astype("<i2")
        with wave.open(str(path), "wb") as out_file:
            out_file.setnchannels(1)
            out_file.setsampwidth(2)
            out_file.setframerate(16_000)
            out_file.writeframes(pcm.tobytes())
        out.append((path.name, path.read_bytes()))
    return out


@dataclass
class Machine(JobEnv):
    """One machine's settings: a data folder of its own, the shared media folder and services,
    and the secret key every machine of the site must share."""

    secret_key: str = ""

    def worker_env(self) -> dict[str, str]:
        return {**super().worker_env(), "ARCHIVE_SECRET_KEY": self.secret_key}


def _machine(
    root: Path, name: str, database_url: str, queue: JobSettings, meili: MeiliConnection, index: str
) -> Machine:
    data_dir = root / name / "var"
    data_dir.mkdir(parents=True)
    settings = Settings(
        storage=StorageSettings(data_dir, root / "shared-media", database_url),
        search=SearchSettings(meili.url, meili.api_key, index),
        jobs=queue,
    )
    return Machine(settings, meili, root / name)


@pytest.fixture
def layout(
    tmp_path: Path, catalog_url: str, meili_server: MeiliConnection, meili_index: str
) -> Iterator[list[Machine]]:
    queue = JobSettings(
        queue_url=_redis_url(), queue_name=f"scale-{uuid.uuid4().hex[:10]}", lease_seconds=30.0
    )
    (tmp_path / "shared-media").mkdir()
    secret_key = secrets.token_urlsafe(32)
    machines = [
        _machine(tmp_path, name, catalog_url, queue, meili_server, meili_index)
        for name in ("web-1", "web-2", "worker-1", "worker-2")
    ]
    for machine in machines:
        machine.secret_key = secret_key
    yield machines
    from server.jobs.queue import JobQueue

    leftover = JobQueue(machines[0].settings)
    leftover.huey.storage.flush_all()  # a Redis queue outlives the test
    leftover.close()


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_two_web_processes_and_two_workers_share_one_archive(layout: list[Machine], tmp_path: Path) -> None:
    web_envs, worker_envs = layout[:2], layout[2:]
    settings = web_envs[0].settings
    migrate = subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        env=web_envs[0].worker_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    add_account(settings, STAFF, "a long enough password")
    bearer = {"Authorization": f"Bearer {add_token(settings, STAFF)}"}
    recordings = _recordings(tmp_path)

    with ExitStack() as stack:
        workers = []
        for env in worker_envs:
            workers.append(Worker(env))
            stack.callback(workers[-1].stop)
        webs = []
        for env in web_envs:
            url, _ = stack.enter_context(
                serve(env.worker_env(), args=["--no-worker"], log=env.root / "web.log")
            )
            webs.append(httpx.Client(base_url=url, headers=bearer, timeout=30))
            stack.callback(webs[-1].close)

        def send(n: int) -> dict[str, Any]:
            name, data = recordings[n]
            manifest = re.sub(
                r"^title: .*$", f'title: "EXPORTA part {n + 1}"', MANIFEST.read_text(), flags=re.M
            )
            response = webs[n % 2].post(
                "/api/webinars", files={"media": (name, data, "audio/wav")}, data={"manifest": manifest}
            )
            assert response.status_code == 202, response.text
            return dict(response.json())

        with ThreadPoolExecutor(len(recordings)) as pool:
            accepted = list(pool.map(send, range(len(recordings))))
        jobs = {a["job"]["id"]: a["webinar"]["slug"] for a in accepted}
        assert len(set(jobs.values())) == len(recordings)

        deadline = time.monotonic() + 300  # generous: a busy machine slows the first jobs (model loads) most
        pending = set(jobs)
        while pending:
            for job_id in sorted(pending):
                job = webs[job_id % 2].get(f"/api/jobs/{job_id}").json()
                if job["state"] in ("succeeded", "failed", "cancelled"):
                    logs = "\n".join(w.output() for w in workers)
                    assert job["state"] == "succeeded", f"{job}\n{logs}"
                    pending.discard(job_id)
            assert time.monotonic() < deadline, f"jobs {sorted(pending)} unfinished\n" + "\n".join(
                w.output() for w in workers
            )
            time.sleep(0.25)

        # Each job ran exactly once: one claim in all the workers' logs, one attempt, and both
        # workers took a share.
        claims = [m.groups() for w in workers for m in CLAIMED.finditer(w.output())]
        assert Counter(int(job_id) for job_id, _, _ in claims) == dict.fromkeys(jobs, 1), claims
        assert {int(pid) for _, _, pid in claims} == {w.pid for w in workers}, claims
        engine = create_db_engine(settings.storage.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT id, state, attempts, lease_owner FROM processing_job ORDER BY id")
                ).all()
                duplicates = connection.execute(
                    text(
                        "SELECT webinar_id, position FROM segment GROUP BY webinar_id, position"
                        " HAVING count(*) > 1"
                    )
                ).all()
        finally:
            engine.dispose()
        assert [tuple(r) for r in rows] == [(job_id, "succeeded", 1, None) for job_id in sorted(jobs)]
        assert duplicates == []

        # Published through one web process or the other, searchable through both.
        def publish(n: int, slug: str) -> None:
            published = webs[n % 2].patch(f"/api/webinars/{slug}", json={"published": True})
            assert published.status_code == 200, published.text

        with ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(publish, range(len(jobs)), jobs.values()))
        for web in webs:
            for slug in jobs.values():
                hits = web.get("/api/search", params={"q": "consortium", "webinar": slug}).json()["hits"]
                assert hits, (web.base_url, slug)
                assert {h["webinar"]["slug"] for h in hits} == {slug}

        # An edit through web 1 shows in web 2, which had the page cached.
        slug = jobs[min(jobs)]
        before = webs[1].get(f"/webinars/{slug}")
        assert before.status_code == 200
        assert "Quarkwhistle" not in before.text
        segment = webs[1].get(f"/api/webinars/{slug}/segments").json()[0]
        edited = webs[0].patch(
            f"/api/webinars/{slug}/segments/{segment['id']}",
            json={"text": segment["text"] + " Quarkwhistle."},
        )
        assert edited.status_code == 200, edited.text
        assert "Quarkwhistle" in webs[1].get(f"/webinars/{slug}").text
        texts = [s["text"] for s in webs[1].get(f"/api/webinars/{slug}/segments").json()]
        assert texts[0].endswith("Quarkwhistle.")
        hits = webs[1].get("/api/search", params={"q": "quarkwhistle"}).json()["hits"]
        assert [h["segment_id"] for h in hits] == [segment["id"]]
