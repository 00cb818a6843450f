"""Faults while a recording is stored: the server killed in the middle of a resumable (tus)
upload, and a disk that fills up. Real `webinar-archive serve` processes, real file systems
(a few-megabyte tmpfs, tests/small_disk.py), the real catalogue.

What must hold: no partial file is ever taken for a recording (nothing in the media folder, no
webinar, no job); an interrupted upload resumes from the offset the restarted server reports and
ends byte for byte the recording; a full disk is a 507 with a readable reason, the catalogue
untouched, no partial file left in the media folder, and the same upload goes through once
space is freed.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import signal
import socket
import subprocess
import sys
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

from server.app import create_app
from server.catalog.db import create_db_engine
from server.search.process import MeiliConnection, free_port
from server.settings import Settings
from tests.jobs_harness import MANIFEST, RECORDING, upload
from tests.site_data import add_account, add_token, settings_for
from tests.small_disk import fill, small_disk

STAFF = "staff@example.org"
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {**TUS, "Content-Type": "application/offset+octet-stream"}
ROOT = Path(__file__).resolve().parents[2]


def _rows(settings: Settings, sql: str) -> list[Any]:
    engine = create_db_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def _catalogue(settings: Settings) -> tuple[int, int]:
    """(webinars, jobs) in the catalogue."""
    webinars = _rows(settings, "SELECT count(*) FROM webinar")[0][0]
    jobs = _rows(settings, "SELECT count(*) FROM processing_job")[0][0]
    return int(webinars), int(jobs)


def _recordings(settings: Settings) -> list[str]:
    """What the media folder holds besides the test's own filler (hidden files included)."""
    folder = settings.storage.media_dir
    return sorted(p.name for p in folder.iterdir() if p.name != "filler.bin") if folder.exists() else []


def _create(client: httpx.Client | TestClient[Litestar], length: int) -> str:
    meta = "filename " + base64.b64encode(b"two_voices.opus").decode()
    created = client.post(
        "/api/uploads", headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": meta}
    )
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


def _submit(client: httpx.Client | TestClient[Litestar], upload_url: str) -> Any:
    """The upload page's form, as upload.js posts it once its tus upload is finished."""
    fields = {"upload_id": upload_url.rsplit("/", 1)[-1], "title": "Fault drill", "language": "en"}
    return client.post("/staff/upload", data=fields, headers={"accept": "text/html"}, follow_redirects=False)


# --- the server killed in the middle of a tus upload ------------------------------------------


class Server:
    """`webinar-archive serve --no-worker` on a fixed port, as a child process."""

    def __init__(self, settings: Settings, meili: MeiliConnection, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ARCHIVE_DATA_DIR": str(settings.storage.data_dir),
            "ARCHIVE_MEDIA_DIR": str(settings.storage.media_dir),
            "DATABASE_URL": settings.storage.database_url,
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.api_key or "",
            "MEILI_INDEX": f"up_{uuid.uuid4().hex[:8]}",
            "QUEUE_NAME": f"test-{uuid.uuid4().hex[:10]}",
        }
        self.env.pop("QUEUE_URL", None)
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.root / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--no-worker", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, (self.root / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def test_server_killed_during_an_upload_keeps_nothing_and_the_upload_resumes(
    tmp_path: Path, meili_server: MeiliConnection
) -> None:
    settings = settings_for(tmp_path)
    add_account(settings, STAFF, "a long enough password")
    token = add_token(settings, STAFF)
    recording = RECORDING.read_bytes()
    server = Server(settings, meili_server, tmp_path)
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client:
            url = _create(client, len(recording))
            first = client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=recording[:40_000])
            assert first.status_code == 204, first.text
            # The next chunk is on its way, half sent, when the server dies.
            part = settings.storage.data_dir / "uploads" / f"{url.rsplit('/', 1)[-1]}.part"
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                rest = recording[40_000:]
                sock.sendall(
                    (
                        f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
                        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 40000\r\n"
                        f"Content-Length: {len(rest)}\r\n\r\n"
                    ).encode()
                    + rest[:20_000]
                )
                deadline = time.monotonic() + 10
                while part.stat().st_size < 60_000:  # the server has written what came
                    assert time.monotonic() < deadline, part.stat().st_size
                    time.sleep(0.02)
                server.kill9()
        assert _recordings(settings) == []  # nothing in the media folder
        assert _catalogue(settings) == (0, 0)

        server.start()  # same port, same folders
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client:
            offset = int(client.head(url, headers=TUS).headers["upload-offset"])
            assert offset == 60_000  # every byte that reached the server, none that did not
            early = _submit(client, url)  # an unfinished upload is never taken for a recording
            assert early.status_code == 400
            assert "has not finished uploading" in early.text
            assert _catalogue(settings) == (0, 0)

            resumed = client.patch(
                url, headers={**CHUNK, "Upload-Offset": str(offset)}, content=recording[offset:]
            )
            assert resumed.status_code == 204, resumed.text
            assert resumed.headers["upload-offset"] == str(len(recording))
            accepted = _submit(client, url)
            assert accepted.status_code == 303, accepted.text
            assert accepted.headers["location"].startswith("/staff/jobs/")
        (kept,) = _recordings(settings)
        assert (settings.storage.media_dir / kept).read_bytes() == recording
        assert _catalogue(settings) == (1, 1)
    finally:
        server.stop()


# --- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def full_media(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    """Settings whose media folder is a 2 MB tmpfs, filled but for 40 KB (the recording is 98 KB);
    the catalogue and the partial uploads live on the ordinary disk."""
    base = settings_for(tmp_path)
    with small_disk(tmp_path / "small") as media:
        settings = dataclasses.replace(base, storage=dataclasses.replace(base.storage, media_dir=media))
        add_account(settings, STAFF, "a long enough password")
        yield settings, fill(media, leave=40_000)


def test_a_full_media_disk_refuses_the_recording_with_507_and_keeps_nothing(
    full_media: tuple[Settings, Path],
) -> None:
    settings, filler = full_media
    recording = RECORDING.read_bytes()
    with TestClient(app=create_app(settings, search=False)) as client:
        client.headers["Authorization"] = f"Bearer {add_token(settings, STAFF)}"
        # The API's multipart upload, written to the media folder as it streams in.
        refused = upload(client, media=recording, manifest=MANIFEST.read_text(encoding="utf-8"))
        assert refused.status_code == 507, refused.text
        problem = refused.json()
        assert problem["title"] == "Not enough storage"
        assert "disk is full" in problem["detail"]
        assert "nothing was kept" in problem["detail"]
        assert _recordings(settings) == []  # no partial file
        assert _catalogue(settings) == (0, 0)

        # A finished tus upload (on the data disk) submitted while the media disk is full.
        url = _create(client, len(recording))
        done = client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=recording)
        assert done.status_code == 204
        page = _submit(client, url)
        assert page.status_code == 507
        assert "the disk is full" in page.text
        assert "Traceback" not in page.text
        assert _recordings(settings) == []
        assert _catalogue(settings) == (0, 0)
        assert client.head(url, headers=TUS).headers["upload-offset"] == str(len(recording))  # kept

        filler.unlink()  # space is freed: the same upload goes through, nothing sent again
        accepted = _submit(client, url)
        assert accepted.status_code == 303, accepted.text
    (kept,) = _recordings(settings)
    assert (settings.storage.media_dir / kept).read_bytes() == recording
    assert _catalogue(settings) == (1, 1)


def test_a_full_upload_disk_is_a_507_and_the_upload_resumes_once_there_is_space(tmp_path: Path) -> None:
    base = settings_for(tmp_path)
    recording = RECORDING.read_bytes()
    with small_disk(tmp_path / "small") as data:
        # Partial uploads live under ARCHIVE_DATA_DIR/uploads; the catalogue stays on the big disk.
        storage = dataclasses.replace(
            base.storage, data_dir=data, database_url=f"sqlite:///{tmp_path / 'c.db'}"
        )
        settings = dataclasses.replace(base, storage=storage)
        add_account(settings, STAFF, "a long enough password")
        with TestClient(app=create_app(settings, search=False)) as client:
            client.headers["Authorization"] = f"Bearer {add_token(settings, STAFF)}"
            url = _create(client, len(recording))
            filler = fill(data, leave=40_000)
            full = client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=recording)
            assert full.status_code == 507, full.text
            assert "the disk is full" in full.json()["detail"]
            part = data / "uploads" / f"{url.rsplit('/', 1)[-1]}.part"
            offset = int(client.head(url, headers=TUS).headers["upload-offset"])
            assert offset == part.stat().st_size < len(recording)  # what is on disk, no more
            assert part.read_bytes() == recording[:offset]

            filler.unlink()
            rest = client.patch(
                url, headers={**CHUNK, "Upload-Offset": str(offset)}, content=recording[offset:]
            )
            assert rest.status_code == 204, rest.text
            assert part.read_bytes() == recording


@pytest.mark.slow  # the real speech model
def test_a_transcript_written_to_a_full_disk_is_a_clear_error_and_leaves_no_file(tmp_path: Path) -> None:
    """`webinar-archive transcribe -o` onto a full disk: exit 7 with the reason, no output and no
    half-written file beside it."""
    clip = tmp_path / "clip.wav"
    _cut(RECORDING, clip, seconds=5.0)
    with small_disk(tmp_path / "small") as disk:
        filler = fill(disk, leave=200)  # the JSON of five seconds of speech is a few kilobytes
        env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "var"), "MEILI_URL": "http://127.0.0.1:9"}
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", "transcribe", str(clip), "-o", str(disk / "talk.json")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 7, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        reason = f"{disk / 'talk.json'}: not written, the disk is full; nothing was kept"
        assert last == f"webinar-archive: error: {reason}"
        assert sorted(p.name for p in disk.iterdir()) == [filler.name]


def _cut(source: Path, target: Path, seconds: float) -> None:
    """The first `seconds` of a recording as 16 kHz mono WAV."""
    import wave

    import numpy as np

    from ingest.audio import load

    samples = load(source, 16_000).samples[: int(seconds * 16_000)]
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
