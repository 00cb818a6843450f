"""The upload page's POST without a browser: the no-JavaScript multipart path, and what a refusal
keeps (the uploaded recording while fields are corrected; nothing when it is not media)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text

from server.app import create_app
from server.catalog.db import create_db_engine
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.jobs_harness import RECORDING, JobEnv, make_env
from tests.site_data import add_account, add_token

STAFF = "form@example.org"
HTML = {"Accept": "text/html"}


@pytest.fixture
def env(tmp_path: Path, meili_server: MeiliConnection, meili_index: str) -> JobEnv:
    env = make_env(tmp_path, meili_server, meili_index)
    add_account(env.settings, STAFF, "a long enough password", "staff")
    return env


@pytest.fixture
def client(env: JobEnv) -> Iterator[TestClient[Litestar]]:
    settings = env.settings
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=env.meili, index_uid=settings.search.index_uid)],
    )
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {add_token(settings, STAFF)}"
        yield test_client


def _count(env: JobEnv, table: str) -> int:
    engine = create_db_engine(env.settings.storage.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _fields(**extra: str) -> dict[str, str]:
    return {"title": "EXPORTA", "speaker-1-name": "Elena Marchetti", "agenda": "00:05 Welcome", **extra}


def test_the_page_is_for_staff_only(env: JobEnv, client: TestClient[Litestar]) -> None:
    del client.headers["Authorization"]
    assert client.get("/staff/upload", headers=HTML).status_code == 401


def test_without_javascript_a_bad_agenda_keeps_the_recording_for_the_corrected_form(
    env: JobEnv, client: TestClient[Litestar]
) -> None:
    files = {"recording": ("two_voices.opus", RECORDING.read_bytes(), "audio/ogg")}
    bad = client.post(
        "/staff/upload", data=_fields(agenda="00:05 Welcome\n00:0x:12 Keynote"), files=files, headers=HTML
    )
    assert bad.status_code == 400
    assert 'id="agenda-error"' in bad.text
    assert "00:0x:12" in bad.text
    assert 'value="EXPORTA"' in bad.text  # the form comes back filled in
    assert 'id="uploaded-note"' in bad.text  # and the recording need not be sent again
    upload_id = bad.text.split('name="upload_id" id="upload_id" value="')[1].split('"')[0]
    assert upload_id
    assert _count(env, "webinar") == 0
    assert list(env.settings.storage.media_dir.iterdir()) == []
    fixed = client.post(
        "/staff/upload", data=_fields(upload_id=upload_id), headers=HTML, follow_redirects=False
    )
    assert fixed.status_code == 303, fixed.text
    assert fixed.headers["location"].startswith("/staff/jobs/")
    assert _count(env, "webinar") == 1
    assert _count(env, "processing_job") == 1
    assert [p.suffix for p in env.settings.storage.media_dir.iterdir()] == [".opus"]


def test_a_file_that_is_not_media_is_refused_and_nothing_is_kept(
    env: JobEnv, client: TestClient[Litestar]
) -> None:
    files = {"recording": ("slides.mp3", b"%PDF-1.4 slides" * 100, "audio/mpeg")}
    refused = client.post("/staff/upload", data=_fields(), files=files, headers=HTML)
    assert refused.status_code == 400
    assert 'id="recording-error"' in refused.text
    assert 'name="upload_id" id="upload_id" value=""' in refused.text
    assert _count(env, "webinar") == 0
    assert list(env.settings.storage.media_dir.iterdir()) == []
    uploads = env.settings.storage.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_someone_elses_upload_cannot_be_submitted(env: JobEnv, client: TestClient[Litestar]) -> None:
    add_account(env.settings, "other@example.org", "another long password", "staff")
    other = add_token(env.settings, "other@example.org")
    meta = "filename " + base64.b64encode(b"a.opus").decode()
    created = client.post(
        "/api/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "4",
            "Upload-Metadata": meta,
            "Authorization": f"Bearer {other}",
        },
    )
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    response = client.post("/staff/upload", data=_fields(upload_id=upload_id), headers=HTML)
    assert response.status_code == 400
    assert "not yours" in response.text
    assert _count(env, "webinar") == 0
    # Refused, and left alone: its owner can still finish it.
    head = client.head(
        f"/api/uploads/{upload_id}", headers={"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {other}"}
    )
    assert head.status_code == 200
