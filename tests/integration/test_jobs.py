"""Processing jobs end to end: the API upload, a real `webinar-archive worker` process (the real
tiny.en model and speaker models on tests/data/two_voices.opus, 36 s), real Meilisearch.

The deciding test is the last: a worker killed with SIGKILL in the middle of transcription
leaves its job `running` with a lease nobody renews; a second worker reaps it when the lease runs
out and runs it again, and the job ends exactly once: one webinar, one set of segments,
attempts == 2. It runs on the embedded queue (SQLite) and on Redis (TEST_REDIS_URL; skipped when
unset, failed when set and unreachable, as TEST_DATABASE_URL is treated in tests/conftest.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, text
from sqlmodel import Session, select

from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import ProcessingJob, Segment, Webinar
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.jobs_harness import (
    JobEnv,
    Worker,
    finished,
    longer_recording,
    make_env,
    upload,
    wait_for,
)
from tests.site_data import add_account, add_token

REDIS_SKIP_REASON = "TEST_REDIS_URL not set: the Redis queue tests did not run"
STAFF = "staff@example.org"


@pytest.fixture(params=["sqlite", pytest.param("redis", id="redis")])
def queue_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the embedded SQLite queue; else a reachable Redis from TEST_REDIS_URL."""
    if request.param == "sqlite":
        yield None
        return
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP_REASON)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"TEST_REDIS_URL is set but Redis cannot be used: {exc}", pytrace=False)
    yield url


def _env(
    tmp_path: Path, meili: MeiliConnection, index: str, queue_url: str | None = None, **kw: Any
) -> JobEnv:
    env = make_env(tmp_path, meili, index, queue_url, **kw)
    add_account(env.settings, STAFF, "a long enough password", "staff")
    return env


@pytest.fixture
def env(tmp_path: Path, meili_server: MeiliConnection, meili_index: str) -> JobEnv:
    return _env(tmp_path, meili_server, meili_index)


def _client(env: JobEnv) -> Iterator[TestClient[Litestar]]:
    settings = env.settings
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=env.meili, index_uid=settings.search.index_uid)],
    )
    token = add_token(settings, STAFF)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
    _flush_queue(env)


def _flush_queue(env: JobEnv) -> None:
    if env.settings.jobs.queue_url:  # a Redis queue outlives the test: empty it
        from server.jobs.queue import JobQueue

        queue = JobQueue(env.settings)
        queue.huey.storage.flush_all()
        queue.close()


@pytest.fixture
def client(env: JobEnv) -> Iterator[TestClient[Litestar]]:
    yield from _client(env)


@pytest.fixture
def workers(env: JobEnv) -> Iterator[list[Worker]]:
    """Workers a test starts; stopped (and their output shown on failure) afterwards."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _rows(env: JobEnv, sql: str) -> Any:
    engine = create_db_engine(env.settings.storage.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()
    finally:
        engine.dispose()


def _media_files(env: JobEnv) -> list[str]:
    return sorted(p.name for p in env.settings.storage.media_dir.iterdir())


# --- without a worker: what is refused keeps nothing ---------------------------------------------


def test_anonymous_upload_is_401(env: JobEnv) -> None:
    app = create_app(env.settings, search=False)
    with TestClient(app) as anonymous:
        response = upload(anonymous)
    assert response.status_code == 401
    assert _media_files(env) == []


def test_refused_uploads_keep_nothing(client: TestClient[Litestar], env: JobEnv) -> None:
    not_media = upload(
        client, media=b"These are meeting notes, not a recording.\n" * 50, filename="notes.txt"
    )
    assert not_media.status_code == 400, not_media.text
    problem = not_media.json()
    assert problem["field"] == "media"
    assert "notes.txt" in problem["detail"]
    assert "not a recognisable audio or video file" in problem["detail"]

    bad_manifest = upload(client, manifest="title: [never closed")
    assert bad_manifest.status_code == 400
    assert bad_manifest.json()["field"] == "manifest"

    unknown_field = upload(client, manifest="title: A talk\nspeakerz: []\n")
    assert unknown_field.status_code == 400
    assert unknown_field.json()["field"] == "manifest"
    assert "speakerz" in unknown_field.json()["detail"]

    bad_agenda = upload(client, agenda="00:00:05 - Welcome by Elena Marchetti\n00:75:00 - Questions\n")
    assert bad_agenda.status_code == 400, bad_agenda.text
    assert bad_agenda.json()["field"] == "agenda"

    assert _media_files(env) == []
    assert _rows(env, "SELECT count(*) FROM webinar")[0][0] == 0
    assert _rows(env, "SELECT count(*) FROM processing_job")[0][0] == 0


def test_too_large_upload_is_413_and_leaves_no_file(
    tmp_path: Path, meili_server: MeiliConnection, meili_index: str
) -> None:
    small = _env(tmp_path, meili_server, meili_index, max_upload=50_000)  # the recording is 98 KB
    for client in _client(small):
        response = upload(client)
        assert response.status_code == 413, response.text
        assert "ARCHIVE_MAX_UPLOAD_MB" in response.json()["detail"]
        # No Content-Length to go on: the limit is enforced on the bytes as they stream in.
        body = (b"x" * 60_000 for _ in range(2))
        streamed = client.post(
            "/api/webinars",
            content=body,
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413
    assert _media_files(small) == []
    assert _rows(small, "SELECT count(*) FROM webinar")[0][0] == 0


def test_a_queued_job_can_be_cancelled_and_retried(client: TestClient[Litestar], env: JobEnv) -> None:
    accepted = upload(client)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job"]["id"]
    again_the_same = upload(client)  # the same recording: already in the archive
    assert again_the_same.status_code == 409, again_the_same.text
    assert accepted.json()["webinar"]["slug"] in again_the_same.json()["detail"]
    assert len(_media_files(env)) == 1
    cancelled = client.post(f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert client.post(f"/api/jobs/{job_id}/cancel").status_code == 409  # nothing left to cancel
    again = client.post(f"/api/jobs/{job_id}/retry")
    assert again.status_code == 200
    assert again.json()["state"] == "queued"
    page = client.get(f"/staff/jobs/{job_id}")
    assert page.status_code == 200
    assert "Cancel" in page.text
    assert 'http-equiv="refresh"' in page.text


# --- with a real worker --------------------------------------------------------------------------


@pytest.mark.slow
def test_upload_ends_as_a_published_searchable_webinar(
    client: TestClient[Litestar], env: JobEnv, workers: list[Worker]
) -> None:
    workers.append(Worker(env))
    # The agenda as pasted from an event page, whose last item the 36-s recording never reached.
    agenda = (
        "Agenda\n00:00:00 Welcome by Elena Marchetti\n00:00:05 Interview with Graham Whitfield\n"
        "00:40:00 Closing remarks\n"
    )
    accepted = upload(client, agenda=agenda)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    job_id, slug = body["job"]["id"], body["webinar"]["slug"]
    assert body["job"]["url"] == f"/api/jobs/{job_id}"
    assert slug == "exporta-selling-regional-food-abroad-together"
    assert client.get(f"/api/webinars/{slug}").status_code == 404  # a draft is not public

    seen: list[dict[str, Any]] = []
    job = wait_for(client, job_id, finished, seen=seen)
    assert job["state"] == "succeeded", f"{job}\n{workers[0].output()}"
    assert job["progress"] == 1.0
    assert job["attempts"] == 1
    assert job["error"] is None
    assert job["webinar"] == {"slug": slug}
    assert job["agenda_warnings"] == [
        "line 1: 'Agenda': skipped (no time)",
        "line 4: '00:40:00 Closing remarks': skipped: starts 00:40:00 into the recording, at or after "
        "its end (00:00:36)",
    ]
    stages = [j["stage"] for j in seen if j["state"] == "running" and j["stage"]]
    assert "transcribing" in stages, stages
    progress = [j["progress"] for j in seen]
    assert progress == sorted(progress)  # only ever forward
    assert any(j["eta_seconds"] is not None for j in seen if j["state"] == "running") or len(stages) < 3

    # Stored, indexed, still a draft: neither listed nor searchable.
    assert client.get(f"/api/webinars/{slug}").status_code == 404
    assert client.get("/api/search", params={"q": "trade fairs"}).json()["hits"] == []

    published = client.patch(f"/api/webinars/{slug}", json={"published": True})
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    assert published.json()["status"] == "ready"
    detail = client.get(f"/api/webinars/{slug}").json()
    assert detail["title"] == "EXPORTA: selling regional food abroad together"
    hits = client.get("/api/search", params={"q": "trade fairs"}).json()["hits"]
    assert hits
    assert {h["webinar"]["slug"] for h in hits} == {slug}

    # The worker left a machine draft for staff (server/catalog/drafts.py), apart from staff's text.
    editorial = client.get(f"/api/webinars/{slug}/editorial").json()
    assert editorial["draft"]["key_messages"], editorial
    assert editorial["draft"]["topics"], editorial
    assert editorial["key_messages"] == []
    assert "draft" not in detail

    # The staff pages show it.
    assert f"/staff/jobs/{job_id}" in client.get("/staff/jobs").text
    job_page = client.get(f"/staff/jobs/{job_id}").text
    assert "succeeded" in job_page
    assert "2 agenda lines left out" in job_page
    late = "line 4: &#39;00:40:00 Closing remarks&#39;: skipped: starts 00:40:00 into the recording"
    assert late in job_page
    chapters = client.get(f"/api/webinars/{slug}").json()["chapters"]
    assert [c["title"] for c in chapters] == ["Welcome by Elena Marchetti", "Interview with Graham Whitfield"]

    unpublished = client.patch(f"/api/webinars/{slug}", json={"published": False})
    assert unpublished.status_code == 200
    assert client.get("/api/search", params={"q": "trade fairs"}).json()["hits"] == []

    deleted = client.delete(f"/api/webinars/{slug}", params={"media": "true"})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"deleted": slug, "media_deleted": True, "index_cleared": True}
    assert _media_files(env) == []
    assert _rows(env, "SELECT count(*) FROM webinar")[0][0] == 0


@pytest.mark.slow
def test_failed_job_shows_its_reason_and_is_retried(
    client: TestClient[Litestar], env: JobEnv, workers: list[Worker]
) -> None:
    accepted = upload(client)  # no worker yet: the job waits in the queue
    job_id = accepted.json()["job"]["id"]
    (kept,) = env.settings.storage.media_dir.iterdir()
    aside = env.root / "aside.opus"
    kept.rename(aside)  # the recording goes missing before the worker gets to it

    workers.append(Worker(env))
    job = wait_for(client, job_id, finished)
    assert job["state"] == "failed", f"{job}\n{workers[0].output()}"
    assert "file not found" in job["error"]
    page = client.get(f"/staff/jobs/{job_id}").text
    assert "file not found" in page
    assert "Retry" in page
    status = _rows(env, "SELECT status, published FROM webinar")
    assert [tuple(r) for r in status] == [("failed", 0)]

    aside.rename(kept)
    retried = client.post(f"/api/jobs/{job_id}/retry")
    assert retried.status_code == 200
    assert retried.json()["state"] == "queued"
    job = wait_for(client, job_id, finished)
    assert job["state"] == "succeeded", f"{job}\n{workers[0].output()}"
    assert job["attempts"] == 2
    assert job["error"] is None


@pytest.mark.slow
def test_a_running_job_is_cancelled(client: TestClient[Litestar], env: JobEnv, workers: list[Worker]) -> None:
    workers.append(Worker(env))
    job_id = upload(client).json()["job"]["id"]
    wait_for(client, job_id, lambda j: j["state"] == "running" or finished(j), interval=0.05)
    asked = client.post(f"/api/jobs/{job_id}/cancel").json()
    assert asked["state"] == "running"  # its worker stops it, at its next heartbeat
    assert asked["cancel_requested"] is True
    job = wait_for(client, job_id, finished)
    assert job["state"] == "cancelled", f"{job}\n{workers[0].output()}"
    assert job["attempts"] == 1
    assert "cancelled" in workers[0].output()
    assert job["error"] == "cancelled by staff"
    assert _rows(env, "SELECT count(*) FROM segment")[0][0] == 0  # stopped before storing


@pytest.mark.slow
def test_reprocess_is_a_job(client: TestClient[Litestar], env: JobEnv, workers: list[Worker]) -> None:
    workers.append(Worker(env))
    body = upload(client).json()
    assert wait_for(client, body["job"]["id"], finished)["state"] == "succeeded"
    slug = body["webinar"]["slug"]
    assert client.post(f"/api/webinars/{slug}/reprocess", json={"model": "nonesuch"}).status_code == 400
    again = client.post(f"/api/webinars/{slug}/reprocess", json={"model": "tiny.en"})
    assert again.status_code == 202, again.text
    job = wait_for(client, again.json()["job"]["id"], finished)
    assert job["state"] == "succeeded", job
    assert _rows(env, "SELECT count(*) FROM webinar")[0][0] == 1
    speakers = client.patch(f"/api/webinars/{slug}", json={"published": True}).json()
    assert speakers["status"] == "ready"
    names = {s["name"] for s in client.get(f"/api/webinars/{slug}").json()["speakers"]}
    assert names >= {"Elena Marchetti", "Graham Whitfield"}  # the manifest survived the round trip


# --- kill -9 mid-transcription ------------------------------------------------------------------


def _transcribing_or_past(job: dict[str, Any]) -> bool:
    if job["state"] != "running":
        return finished(job)
    return job["stage"] not in (None, "probing", "transcribing") or (
        job["stage"] == "transcribing" and job["progress"] > 0.1
    )


@pytest.mark.slow
def test_worker_killed_mid_transcription_job_completes_exactly_once(
    tmp_path: Path, meili_server: MeiliConnection, meili_index: str, queue_url: str | None
) -> None:
    env = _env(tmp_path, meili_server, meili_index, queue_url)
    started: list[Worker] = []
    try:
        for client in _client(env):
            first = Worker(env)
            started.append(first)
            first.wait_ready()  # else the job may get two messages, and the second worker one
            recording = longer_recording(tmp_path / "interview.wav").read_bytes()
            accepted = upload(client, media=recording, filename="interview.wav")
            assert accepted.status_code == 202, accepted.text
            job_id = accepted.json()["job"]["id"]
            # Some of the audio transcribed, not all of it: mid-transcription.
            wait_for(client, job_id, _transcribing_or_past, interval=0.05)
            killed_at = time.monotonic()
            first.kill9()
            stuck = client.get(f"/api/jobs/{job_id}").json()
            assert stuck["stage"] == "transcribing", stuck
            assert stuck["state"] == "running", stuck
            assert stuck["attempts"] == 1, stuck
            print(f"\nkilled worker pid {first.pid} during {stuck['stage']!r} at {stuck['progress']:.0%}")

            second = Worker(env)
            started.append(second)
            job = wait_for(client, job_id, finished)
            took = time.monotonic() - killed_at
            assert job["state"] == "succeeded", f"{job}\n{second.output()}"
            assert job["attempts"] == 2, job
            print(
                f"second worker pid {second.pid} finished it {took:.1f} s after the kill, "
                f"attempts {job['attempts']}"
            )

            engine = create_db_engine(env.settings.storage.database_url)
            try:
                with Session(engine) as session:
                    webinars = session.exec(select(Webinar)).all()
                    assert len(webinars) == 1
                    webinar_id = webinars[0].id
                    count = session.exec(select(func.count()).where(Segment.webinar_id == webinar_id)).one()
                    positions = session.exec(
                        select(func.count(func.distinct(Segment.position))).where(
                            Segment.webinar_id == webinar_id
                        )
                    ).one()
                    jobs = session.exec(select(ProcessingJob)).all()
            finally:
                engine.dispose()
            assert count > 0
            assert count == positions
            assert len(jobs) == 1
            assert jobs[0].lease_owner is None
            log = second.output()
            assert "jobs queued again" in log
            assert f"job {job_id}: claimed" in log
            print(f"one webinar, {count} segments (no duplicate positions), one job row")
            queue = "Redis" if queue_url else "SQLite"
            print(f"queue: {queue}; lease {env.settings.jobs.lease_seconds:.0f} s")
    finally:
        for worker in started:
            worker.stop()
