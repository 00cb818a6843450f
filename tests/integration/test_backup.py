"""`webinar-archive backup` and `restore` end to end, on SQLite and on PostgreSQL (a schema of its
own): a webinar with a staff edit and an account is backed up, the data folder, media folder,
catalogue and search index are wiped, and the restore brings back the same search results, the
same replay page and API answers, the edit history, and a staff account that can sign in (with
the session made before the backup still valid: the secret key came back too). A backup with a
damaged recording is refused with nothing changed, and a non-empty archive needs --force.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.app import create_app
from server.backup.manifest import MANIFEST_FILE
from server.catalog.db import create_db_engine
from server.cli import main
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import AccessSettings, SearchSettings, Settings, StorageSettings
from tests.meili_server import delete_index
from tests.site_data import DEMO_MEDIA, add_account, demo_manifest, demo_transcript, store_and_index

STAFF, PASSWORD = "keeper@example.org", "a keeper's password, long enough"
HTML = {"accept": "text/html,application/xhtml+xml"}
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
CSRF_VALUES = re.compile(r'(name="_csrf_token" value="|name="csrf-token" content=")[^"]+')
QUERIES = ("circular procurement", "Zorblax", "ports", "question")


@pytest.fixture
def settings(tmp_path: Path, catalog_url: str, meili_server: MeiliConnection) -> Iterator[Settings]:
    uid = f"bk_{uuid.uuid4().hex[:10]}"
    yield Settings(
        storage=StorageSettings(tmp_path / "var", tmp_path / "media", catalog_url),
        search=SearchSettings(meili_server.url, meili_server.api_key, uid),
        access=AccessSettings(environment="development"),
    )
    delete_index(meili_server, uid)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment `webinar-archive` reads, naming the test's archive."""
    search, storage = settings.search, settings.storage
    for name, value in {
        "ARCHIVE_DATA_DIR": str(storage.data_dir),
        "ARCHIVE_MEDIA_DIR": str(storage.media_dir),
        "DATABASE_URL": storage.database_url,
        "MEILI_URL": search.meili_url or "",
        "MEILI_MASTER_KEY": search.meili_master_key or "",
        "MEILI_INDEX": search.index_uid,
        "ARCHIVE_ENV": "development",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ARCHIVE_SECRET_KEY", raising=False)


def _app(settings: Settings, meili: MeiliConnection) -> Litestar:
    plugin = SearchPlugin(settings, connection=meili, index_uid=settings.search.index_uid)
    return create_app(settings, search=False, plugins=[plugin])


def _sign_in(client: TestClient[Litestar]) -> int:
    page = client.get("/staff/sign-in", headers=HTML)
    match = TOKEN_FIELD.search(page.text)
    assert match, page.text
    form = {"email": STAFF, "password": PASSWORD, "_csrf_token": match.group(1), "next": "/staff"}
    return client.post("/staff/sign-in", data=form, headers=HTML, follow_redirects=False).status_code


def _csrf(client: TestClient[Litestar]) -> dict[str, str]:
    return {"x-csrftoken": client.cookies.get("csrftoken") or ""}


def _observe(client: TestClient[Litestar], slug: str) -> dict[str, Any]:
    """What a visitor and a member of staff see: search hits, the replay page, the API."""
    seen: dict[str, Any] = {}
    for q in QUERIES:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200, response.text
        seen[f"search {q}"] = [(h["webinar"], h["segment_id"], h["text"]) for h in response.json()["hits"]]
    for path in (f"/api/webinars/{slug}", f"/api/webinars/{slug}/segments"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        seen[path] = response.json()
    page = client.get(f"/webinars/{slug}", headers=HTML)
    assert page.status_code == 200
    seen["replay page"] = CSRF_VALUES.sub(r"\1(this sign-in's token)", page.text)  # per sign-in
    history = client.get(f"/api/webinars/{slug}/history", headers=_csrf(client))
    assert history.status_code == 200, history.text
    seen["history"] = [(e["field"], e["before"], e["after"]) for e in history.json()["items"]]
    return seen


def _wipe(settings: Settings, meili: MeiliConnection) -> None:
    """Lose everything: both folders, the catalogue (the PostgreSQL schema itself) and the index."""
    shutil.rmtree(settings.storage.data_dir)
    shutil.rmtree(settings.storage.media_dir)
    url = settings.storage.database_url
    if url.startswith("postgresql"):
        engine = create_db_engine(url)
        with engine.begin() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    else:
        database = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    delete_index(meili, settings.search.index_uid)
    headers = {"Authorization": f"Bearer {meili.api_key}"}
    deadline = time.monotonic() + 10
    while httpx.get(f"{meili.url}/indexes/{settings.search.index_uid}", headers=headers).status_code != 404:
        assert time.monotonic() < deadline, "the index was not deleted"
        time.sleep(0.05)


@pytest.mark.usefixtures("cli_env")
def test_backup_wipe_restore_gives_the_same_archive(
    settings: Settings, meili_server: MeiliConnection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = settings.search.index_uid
    slug = store_and_index(
        settings, demo_transcript(), demo_manifest(), "demo.opus", connection=meili_server, index_uid=uid
    )
    add_account(settings, STAFF, PASSWORD)
    with TestClient(_app(settings, meili_server)) as client:
        assert _sign_in(client) == 303
        segment = client.get(f"/api/webinars/{slug}/segments").json()[1]
        edited = client.patch(
            f"/api/webinars/{slug}/segments/{segment['id']}",
            json={"text": segment["text"] + " Zorblax."},
            headers=_csrf(client),
        )
        assert edited.status_code == 200, edited.text
        retitled = client.patch(
            f"/api/webinars/{slug}", json={"title": "Ports & farms, restored"}, headers=_csrf(client)
        )
        assert retitled.status_code == 200, retitled.text
        before = _observe(client, slug)
        cookies = dict(client.cookies)
    assert before["search Zorblax"], "the edit is searchable before the backup"
    assert {field for field, _, _ in before["history"]} >= {"segment.text", "title"}

    backup = tmp_path / "backups" / "first"
    assert main(["backup", str(backup)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(backup)
    assert sorted(p.name for p in backup.iterdir()) == [
        "database.pgdump" if settings.storage.database_url.startswith("postgresql") else "database.sqlite3",
        MANIFEST_FILE,
        "media",
        "secret.key",
    ]

    _wipe(settings, meili_server)
    assert main(["restore", str(backup)]) == 0, capsys.readouterr().err
    restored_out = capsys.readouterr().out
    assert "search index rebuilt: 50 segments" in restored_out, restored_out

    with TestClient(_app(settings, meili_server)) as client:
        client.cookies.update(cookies)  # the session signed before the backup
        assert client.get("/staff", headers=HTML).status_code == 200
        after = _observe(client, slug)
        assert after == before
        client.cookies.clear()
        assert client.get("/staff", headers=HTML).status_code == 401
        assert _sign_in(client) == 303
        assert (settings.storage.media_dir / "demo.opus").read_bytes() == DEMO_MEDIA.read_bytes()
        media = client.get("/media/demo.opus", headers={"range": "bytes=0-3"})
        assert media.status_code == 206
        assert media.content == b"OggS"

        # Restoring over a live archive needs --force; a damaged backup is refused, nothing changed.
        assert main(["restore", str(backup)]) == 4
        assert "not empty" in capsys.readouterr().err
        damaged = tmp_path / "backups" / "damaged"
        shutil.copytree(backup, damaged)
        recording = damaged / "media" / "demo.opus"
        data = bytearray(recording.read_bytes())
        data[len(data) // 2] ^= 0xFF
        recording.write_bytes(bytes(data))
        (settings.storage.media_dir / "demo.opus").unlink()  # the restore would put it back
        assert main(["restore", "--force", str(damaged)]) == 2
        error = capsys.readouterr().err
        assert "media/demo.opus does not match its sha256; nothing was changed" in error
        assert not (settings.storage.media_dir / "demo.opus").exists()
        (damaged / MANIFEST_FILE).write_text('{"format": "webinar-archive-backup", "version": 99}')
        assert main(["restore", "--force", str(damaged)]) == 2
        assert "format version 99" in capsys.readouterr().err
        assert _observe(client, slug) == before
