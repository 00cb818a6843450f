"""The glossary for staff (`/api/glossary`, `/staff/glossary`) and the glossary reaching the
pipeline's options in the worker (`server/jobs/runner.py`), with no speech model and no
Meilisearch: one hand-built webinar, one staff correction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from ingest.document import Segment, Transcript, Word
from ingest.metadata import Manifest, Person
from server.app import create_app
from server.catalog import corrections
from server.catalog.db import create_db_engine
from server.catalog.models import JOB_INGEST, User, Webinar
from server.catalog.models import Segment as SegmentRow
from server.settings import Settings
from tests.site_data import add_account, add_token, settings_for, store_and_index

HTML = {"accept": "text/html,application/xhtml+xml"}
STAFF, GUEST, PASSWORD = "staff@example.org", "guest@example.org", "staff password, long enough"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
HOSTILE = '<script>alert("x")</script>'


def _transcript() -> Transcript:
    text = "Welcome, our first speaker is Merrick from the Porties project."
    tokens = text.split()
    words = [Word(i * 0.5, i * 0.5 + 0.5, f" {t}", 0.9) for i, t in enumerate(tokens)]
    return Transcript("en", 6.0, "hand-built", [Segment(0, 0.0, 6.0, text, words, kind="intro")], [])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path, development=True)
    manifest = Manifest(
        title="Cleaner ports",
        date=dt.date(2024, 11, 19),
        speakers=[Person("Karen Højgaard", "moderator", "Programme")],
    )
    store_and_index(
        settings, _transcript(), manifest, "ports.opus", connection=None, index_uid="x", media_bytes=b"OggS"
    )
    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        webinar = session.exec(select(Webinar)).one()
        segment = session.exec(select(SegmentRow)).one()
        fixed = "Welcome, our first speaker is Marek Wójcik from the PORTIS project."
        corrections.edit_segment(session, webinar, segment.id or 0, STAFF, text=fixed)
    engine.dispose()
    add_account(settings, STAFF, PASSWORD)
    add_account(settings, GUEST, PASSWORD)
    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        session.execute(update(User).where(col(User.email) == GUEST).values(role="guest"))
    engine.dispose()
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(settings, search=False)) as client:
        yield client


def sign_in(client: TestClient[Litestar], email: str) -> str:
    form = TOKEN_FIELD.search(client.get("/staff/sign-in", headers=HTML).text)
    assert form
    data = {"email": email, "password": PASSWORD, "_csrf_token": form.group(1), "next": "/staff"}
    response = client.post("/staff/sign-in", data=data, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(client.cookies["csrftoken"])


def test_staff_list_add_and_remove_terms_through_the_api(
    settings: Settings, client: TestClient[Litestar]
) -> None:
    bearer = {"authorization": f"Bearer {add_token(settings, STAFF)}"}
    listed = client.get("/api/glossary", headers=bearer)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    by_term = {t["term"]: t for t in body["items"]}
    assert by_term["Marek Wójcik"]["sources"] == ["correction"]
    assert by_term["Marek Wójcik"]["was"] == ["Merrick"]
    assert by_term["PORTIS"]["was"] == ["Porties"]
    assert by_term["Karen Højgaard"]["sources"] == ["person"]
    assert body["vocabulary"][:2] == ["Marek Wójcik", "PORTIS"]

    added = client.post("/api/glossary", json={"term": HOSTILE}, headers=bearer)
    assert added.status_code == 201, added.text
    assert added.json()["sources"] == ["staff"]
    assert client.post("/api/glossary", json={"term": "  "}, headers=bearer).status_code == 400
    assert client.post("/api/glossary", json=["x"], headers=bearer).status_code == 400
    removed = client.delete("/api/glossary", params={"term": "portis"}, headers=bearer)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"removed": "PORTIS"}
    assert client.delete("/api/glossary", params={"term": "Nobody"}, headers=bearer).status_code == 404
    body = client.get("/api/glossary", headers=bearer).json()
    assert body["removed"] == ["PORTIS"]
    assert body["vocabulary"][0] == HOSTILE
    assert "PORTIS" not in body["vocabulary"]

    page = client.get("/staff/glossary", headers={**HTML, **bearer})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(" in page.text
    assert HOSTILE not in page.text
    assert "Merrick" in page.text


def test_anonymous_and_wrong_role_callers_are_refused(client: TestClient[Litestar]) -> None:
    for method, url in [
        ("GET", "/api/glossary"),
        ("POST", "/api/glossary"),
        ("DELETE", "/api/glossary?term=x"),
    ]:
        response = client.request(method, url, json={"term": "X"})
        assert response.status_code == 401, (method, url, response.status_code)
    assert client.get("/staff/glossary", headers=HTML).status_code == 401
    csrf = sign_in(client, STAFF)
    assert client.post("/api/glossary", json={"term": "No Token"}).status_code == 403
    assert (
        client.post("/api/glossary", json={"term": "Gdynia"}, headers={"x-csrftoken": csrf}).status_code
        == 201
    )
    client.cookies.clear()
    guest_csrf = sign_in(client, GUEST)
    assert client.get("/api/glossary", headers={"x-csrftoken": guest_csrf}).status_code == 403


def test_the_staff_page_adds_and_removes_with_plain_forms(client: TestClient[Litestar]) -> None:
    sign_in(client, STAFF)
    page = client.get("/staff/glossary", headers=HTML)
    token = TOKEN_FIELD.search(page.text)
    assert token
    csrf = token.group(1)
    done = client.post(
        "/staff/glossary",
        data={"_csrf_token": csrf, "term": "Klaipėda"},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Klaipėda" in client.get(done.headers["location"], headers=HTML).text
    refused = client.post("/staff/glossary", data={"_csrf_token": csrf, "term": " "}, headers=HTML)
    assert refused.status_code == 400
    assert "term: required" in refused.text
    gone = client.post(
        "/staff/glossary/remove",
        data={"_csrf_token": csrf, "term": "Klaipėda"},
        headers=HTML,
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "Removed Klaipėda" in client.get(gone.headers["location"], headers=HTML).text
    assert "glossary" in client.get("/staff", headers=HTML).text.casefold()


def test_the_worker_passes_the_glossary_as_extra_vocabulary(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's pipeline call gets the glossary next to the manifest (ingest never reads it)."""
    import ingest.pipeline
    from ingest.pipeline import PipelineOptions, PipelineResult
    from ingest.probe import MediaInfo
    from server.jobs import runner, service

    seen: dict[str, Any] = {}

    def fake_run(media: Path, manifest: Manifest, options: PipelineOptions, *args: Any, **kw: Any) -> Any:
        seen["options"], seen["manifest"] = options, manifest
        info = MediaInfo(Path(media.name), "ogg", 6.0, "opus", 48000, 1, False)
        return PipelineResult(media=info, transcript=_transcript())

    monkeypatch.setattr(ingest.pipeline, "run", fake_run)
    monkeypatch.setattr(runner, "_index", lambda context, webinar_id: None)
    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            webinar = session.exec(select(Webinar)).one()
            job = service.create_job(
                session,
                kind=JOB_INGEST,
                webinar_id=webinar.id,
                media_path="ports.opus",
                manifest=Manifest(title="Cleaner ports"),
            )
            job_id = job.id or 0
        outcome = runner.run_job(runner.WorkerContext(settings, engine), job_id)
    finally:
        engine.dispose()
    assert outcome == "succeeded"
    vocabulary = seen["options"].extra_vocabulary
    assert vocabulary[:2] == ("Marek Wójcik", "PORTIS")
    assert "Karen Højgaard" in vocabulary
    assert seen["manifest"].speakers == []  # the glossary came from the archive, not the manifest
