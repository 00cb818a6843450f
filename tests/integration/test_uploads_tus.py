"""The tus server (server/uploads/tus.py) driven as tus-js-client drives it, over real HTTP
handling and a real folder: create, resume after a dropped connection, refuse what is wrong."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.middleware import AbstractMiddleware
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send

from server.catalog.models import User
from server.uploads.store import EXPIRY_SECONDS, UploadStore
from server.uploads.tus import TusController, parse_metadata
from server.web.errors import EXCEPTION_HANDLERS

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}


def staff(user_id: int) -> User:
    return User(id=user_id, email=f"staff{user_id}@example.org", password_hash="-", role="staff")


class AsUser(AbstractMiddleware):
    """Stands in for the accounts middleware: the user id comes from a test header."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        user = headers.get(b"x-test-user")
        scope["user"] = staff(int(user)) if user else None
        await self.app(scope, receive, send)


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", max_bytes=1000)


@pytest.fixture
def client(store: UploadStore) -> Iterator[TestClient[Litestar]]:
    app = Litestar(
        route_handlers=[TusController],
        middleware=[AsUser],
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[lambda app: setattr(app.state, "uploads", store)],
    )
    with TestClient(app) as test_client:
        test_client.headers["x-test-user"] = "7"
        yield test_client


def _create(client: TestClient[Litestar], length: int, name: str = "talk.mp4") -> str:
    meta = "filename " + base64.b64encode(name.encode()).decode()
    response = client.post(
        "/api/uploads", headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": meta}
    )
    assert response.status_code == 201, response.text
    location: str = response.headers["location"]
    assert location.startswith("/api/uploads/")
    return location


def test_an_upload_in_chunks_resumes_where_it_stopped(
    client: TestClient[Litestar], store: UploadStore
) -> None:
    data = bytes(range(256)) * 3
    url = _create(client, len(data))
    start = client.head(url, headers=TUS)
    assert start.headers["upload-offset"] == "0"
    assert start.headers["tus-version"] == "1.0.0"
    assert start.headers["tus-max-size"] == "1000"
    first = client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=data[:300])
    assert first.status_code == 204
    assert first.headers["upload-offset"] == "300"
    # The connection drops: the client asks where to go on, and sends the rest from there.
    head = client.head(url, headers=TUS)
    assert head.headers["upload-offset"] == "300"
    assert head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"
    rest = client.patch(url, headers={**CHUNK, "Upload-Offset": "300"}, content=data[300:])
    assert rest.headers["upload-offset"] == str(len(data))
    upload_id = url.rsplit("/", 1)[1]
    assert store.is_complete(upload_id)
    target = store.take(upload_id, store.folder.parent / "media" / "talk.mp4")
    assert target.read_bytes() == data
    assert client.head(url, headers=TUS).status_code == 404  # taken: the upload is gone


def test_a_chunk_at_the_wrong_offset_is_refused(client: TestClient[Litestar]) -> None:
    url = _create(client, 100)
    client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=b"x" * 40)
    wrong = client.patch(url, headers={**CHUNK, "Upload-Offset": "10"}, content=b"y" * 10)
    assert wrong.status_code == 409
    assert "40" in wrong.json()["detail"]
    assert client.head(url, headers=TUS).headers["upload-offset"] == "40"


def test_too_large_wrong_version_wrong_type_and_extra_bytes(client: TestClient[Litestar]) -> None:
    too_large = client.post("/api/uploads", headers={**TUS, "Upload-Length": "1001"})
    assert too_large.status_code == 413
    assert "largest accepted" in too_large.json()["detail"]
    assert client.post("/api/uploads", headers={"Upload-Length": "10"}).status_code == 412
    assert client.post("/api/uploads", headers={**TUS, "Upload-Length": "ten"}).status_code == 400
    url = _create(client, 10)
    plain = client.patch(
        url, headers={**TUS, "Upload-Offset": "0", "Content-Type": "text/plain"}, content=b"1"
    )
    assert plain.status_code == 400
    extra = client.patch(url, headers={**CHUNK, "Upload-Offset": "0"}, content=b"z" * 15)
    assert extra.status_code == 400
    assert client.head(url, headers=TUS).headers["upload-offset"] == "10"  # the excess was cut


def test_an_upload_belongs_to_whoever_started_it(client: TestClient[Litestar]) -> None:
    url = _create(client, 10)
    other = {**TUS, "x-test-user": "8"}
    assert client.head(url, headers=other).status_code == 404
    assert (
        client.patch(
            url, headers={**CHUNK, "x-test-user": "8", "Upload-Offset": "0"}, content=b"a"
        ).status_code
        == 404
    )
    assert client.delete(url, headers=other).status_code == 404
    assert client.delete(url, headers=TUS).status_code == 204
    assert client.head(url, headers=TUS).status_code == 404


def test_only_staff_upload(client: TestClient[Litestar]) -> None:
    del client.headers["x-test-user"]
    assert client.post("/api/uploads", headers={**TUS, "Upload-Length": "10"}).status_code == 401


def test_hostile_ids_and_metadata(client: TestClient[Litestar], store: UploadStore) -> None:
    assert client.head("/api/uploads/..%2f..%2fetc%2fpasswd", headers=TUS).status_code == 404
    assert client.head("/api/uploads/short", headers=TUS).status_code == 404
    url = _create(client, 5, name="../../etc/passwd")
    assert store.record(url.rsplit("/", 1)[1]).filename == "passwd"
    assert parse_metadata("filename dGFsay5tcDQ=,flag") == {"filename": "talk.mp4", "flag": ""}
    with pytest.raises(Exception, match="base64"):
        parse_metadata("filename !!!")


def test_old_unfinished_uploads_expire(store: UploadStore) -> None:
    upload_id = store.create(10, "a.mp4", owner=1)
    assert store.expire(now=store.record(upload_id).created + EXPIRY_SECONDS + 1) == 1
    assert not store.data_path(upload_id).exists()
