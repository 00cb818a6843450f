"""Resumable uploads over the tus protocol (1.0.0: core, creation, termination).

The upload form sends the recording with tus-js-client (installed from npm into static/vendor by
`make setup`), which cuts it into chunks, resumes after a dropped connection by asking the server
how far it got (HEAD), and remembers unfinished uploads across page reloads. This module is the
server side of that protocol; the bytes go to `UploadStore` as they stream in.

    POST    /api/uploads          a new upload: Upload-Length, Upload-Metadata -> 201 Location
    HEAD    /api/uploads/{id}     Upload-Offset: where the next chunk starts
    PATCH   /api/uploads/{id}     a chunk (application/offset+octet-stream) at Upload-Offset
    DELETE  /api/uploads/{id}     give up an upload

Only staff upload; an upload belongs to the user who started it. Every answer carries the
server's capabilities (Tus-Version, Tus-Extension, Tus-Max-Size), which tus serves on OPTIONS;
Litestar answers OPTIONS itself, and tus-js-client never asks.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from litestar import Controller, Request, Response, delete, head, patch, post
from litestar.datastructures import State
from litestar.params import FromPath

from ingest.errors import ArchiveError, InputError, NotFoundError
from server.accounts.auth import caller_id
from server.accounts.guards import staff_guard
from server.uploads.store import UploadStore

TUS_VERSION: Final = "1.0.0"
TUS_HEADERS: Final = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}


class TusVersionError(ArchiveError):
    status = 412
    default_title = "Unsupported tus version"


def upload_store(state: State) -> UploadStore:
    store: UploadStore = state.uploads
    return store


def _headers(store: UploadStore, **more: str) -> dict[str, str]:
    return {
        **TUS_HEADERS,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": "creation,termination",
        "Tus-Max-Size": str(store.max_bytes),
        **more,
    }


def _require_tus(request: Request[Any, Any, Any]) -> None:
    version = request.headers.get("tus-resumable")
    if version != TUS_VERSION:
        raise TusVersionError(f"Tus-Resumable: this server speaks tus {TUS_VERSION}, got {version!r}")


def _integer_header(request: Request[Any, Any, Any], name: str) -> int:
    text = request.headers.get(name, "")
    if not text.isdigit() or len(text) > 15:
        raise InputError(f"{name}: expected a number of bytes, got {text[:20]!r}")
    return int(text)


def parse_metadata(header: str | None) -> dict[str, str]:
    """`Upload-Metadata`: comma-separated `key base64value` pairs (values may be absent)."""
    out: dict[str, str] = {}
    for pair in (header or "").split(","):
        key, _, value = pair.strip().partition(" ")
        if not key:
            continue
        try:
            out[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"Upload-Metadata: the value of {key[:40]!r} is not base64 UTF-8") from None
    return out


def _owned(store: UploadStore, upload_id: str, request: Request[Any, Any, Any]) -> None:
    """Another user's upload does not exist, as far as this user can tell."""
    if store.record(upload_id).owner != caller_id(request):
        raise NotFoundError(f"no upload {upload_id!r}")


class TusController(Controller):
    path = "/api/uploads"
    tags = ["uploads"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    guards = [staff_guard]  # noqa: RUF012

    @post(
        "/",
        name="tus-create",
        summary="Start a resumable upload",
        status_code=201,
        opt={"problems": (412, 413)},
    )
    async def create(self, request: Request[Any, Any, State]) -> Response[None]:
        _require_tus(request)
        store = upload_store(request.app.state)
        length = _integer_header(request, "upload-length")
        metadata = parse_metadata(request.headers.get("upload-metadata"))
        upload_id = store.create(length, metadata.get("filename", ""), caller_id(request))
        location = request.app.route_reverse("tus-upload", upload_id=upload_id)
        return Response(None, status_code=201, headers=_headers(store, Location=location))

    @head("/{upload_id:str}", name="tus-upload", summary="How far an upload got", opt={"problems": (412,)})
    async def offset(self, request: Request[Any, Any, State], upload_id: FromPath[str]) -> Response[None]:
        _require_tus(request)
        store = upload_store(request.app.state)
        _owned(store, upload_id, request)
        headers = {
            "Upload-Offset": str(store.offset(upload_id)),
            "Upload-Length": str(store.record(upload_id).length),
        }
        return Response(None, status_code=200, headers=_headers(store, **headers))

    @patch(
        "/{upload_id:str}",
        name="tus-append",
        summary="Send a chunk of an upload",
        status_code=204,
        opt={"problems": (412, 413)},
    )
    async def append(self, request: Request[Any, Any, State], upload_id: FromPath[str]) -> Response[None]:
        _require_tus(request)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/offset+octet-stream":
            raise InputError("Content-Type: expected application/offset+octet-stream")
        store = upload_store(request.app.state)
        _owned(store, upload_id, request)
        offset = _integer_header(request, "upload-offset")
        new_offset = await store.append(upload_id, offset, request.stream())
        return Response(None, status_code=204, headers=_headers(store, **{"Upload-Offset": str(new_offset)}))

    @delete(
        "/{upload_id:str}",
        name="tus-delete",
        summary="Give up an upload",
        status_code=204,
        opt={"problems": (412,)},
    )
    async def terminate(self, request: Request[Any, Any, State], upload_id: FromPath[str]) -> Response[None]:
        _require_tus(request)
        store = upload_store(request.app.state)
        _owned(store, upload_id, request)
        store.delete(upload_id)
        return Response(None, status_code=204, headers=_headers(store))
