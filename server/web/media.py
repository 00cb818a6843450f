"""Recordings from ARCHIVE_MEDIA_DIR with HTTP Range requests, at `/media/<path>`.

A player seeks by asking for a byte range; without `206 Partial Content` the browser would have
to download a two-hour recording before it could jump to 1:02:30. Litestar's static files do
not answer Range requests, hence this route. It follows RFC 9110: a single `bytes=` range (a
multi-range request gets the whole file, which the RFC allows), `416` with `Content-Range:
bytes */SIZE` for a range that starts past the end, `If-Range` (a stale validator gets the whole
file), and `ETag`/`Last-Modified` with `304` for a cached copy.

Paths cannot escape the media folder: the requested path is resolved (symlinks included) and
must stay under the resolved folder; hidden files (such as the `.name.part` files an ingest is
still writing) are never served.

Only recordings are served, and only to those who may see their webinar: a file is served when a
webinar the public may see (`listed()`: published, stored in full) has it as its `media_path`,
or, for signed-in staff, when any webinar has it (a draft being checked before publishing; sent
`Cache-Control: private`). Anything else in the folder (an upload not yet stored, a draft's
recording asked for by the public, a stray file) is a 404, as if it were not there. This costs
one lookup by path per request on the catalogue's pool (a few hundred webinars'
rows: well under a millisecond).
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import AsyncIterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any, Final

import anyio
from litestar import HttpMethod, Request, Response, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Stream
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ingest.errors import NotFoundError
from server.accounts.auth import current_user, is_staff
from server.catalog.db import Database
from server.catalog.models import Webinar
from server.catalog.status import listed

CHUNK: Final = 256 * 1024
CACHE_CONTROL: Final = "public, max-age=86400"
"""A recording never changes in place (a re-ingest replaces the file and its ETag with it)."""
_RANGE: Final = re.compile(r"^bytes=(\d*)-(\d*)$")
_TYPES: Final = {
    ".opus": "audio/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".mov": "video/quicktime",
    ".ogv": "video/ogg",
    ".vtt": "text/vtt",
}
VIDEO_SUFFIXES: Final = frozenset(s for s, t in _TYPES.items() if t.startswith("video/"))


def content_type(path: Path) -> str:
    """The media type browsers need to pick a decoder (mimetypes lacks .opus and guesses .webm)."""
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def is_video(media_path: str) -> bool:
    """Whether the replay page shows a <video> (else an <audio>) for this recording."""
    return Path(media_path).suffix.lower() in VIDEO_SUFFIXES


def resolve_media(media_dir: Path, relative: str) -> Path | None:
    """The file `relative` names under `media_dir`, or None if it is missing, hidden or outside."""
    if "\x00" in relative:  # no file name holds a NUL; the OS would refuse it with ValueError
        return None
    parts = Path(relative.lstrip("/")).parts
    if not parts or any(p.startswith(".") for p in parts):
        return None
    root = media_dir.resolve()
    try:
        candidate = (root / Path(*parts)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a `Range` header asks for, None for "send it all".

    Raises ValueError when the range cannot be satisfied (the caller answers 416).
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None  # another unit, or several ranges: the whole file is a valid answer
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # bytes=-N: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # syntactically invalid: RFC 9110 says ignore the header
    if start >= size:
        raise ValueError("range starts past the end")
    return start, min(end, size - 1)


async def _read(path: Path, start: int, length: int) -> AsyncIterator[bytes]:
    """Stream `length` bytes from `start` in chunks, never holding the whole range in memory."""
    async with await anyio.open_file(path, "rb") as handle:
        await handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = await handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _not_modified(request: Request[Any, Any, State], etag: str, mtime: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError):
            return False
    return False


def recording_visibility(session: Session, paths: list[str]) -> str | None:
    """`public` when a listed webinar's recording is at one of `paths` (relative to the media
    folder), `draft` when only unlisted webinars' is, None when no webinar's is."""
    rows = session.execute(
        sa_select(listed()).select_from(Webinar).where(col(Webinar.media_path).in_(paths))
    ).scalars()
    seen = [bool(row) for row in rows]
    if not seen:
        return None
    return "public" if any(seen) else "draft"


async def _visibility(
    request: Request[Any, Any, State], media_dir: Path, path: str, file: Path
) -> str | None:
    asked = "/".join(Path(path.lstrip("/")).parts)
    resolved = file.relative_to(media_dir.resolve()).as_posix()
    paths = list(dict.fromkeys([asked, resolved, str(file)]))
    database: Database = request.app.state.database
    return await database.run(recording_visibility, paths)


async def _serve(request: Request[Any, Any, State], path: str, with_body: bool) -> Response[Any]:
    media_dir: Path = request.app.state.settings.storage.media_dir
    file = resolve_media(media_dir, path)
    if file is None:
        raise NotFoundError("no such recording")
    visibility = await _visibility(request, media_dir, path, file)
    if visibility is None or (visibility == "draft" and not is_staff(current_user(request))):
        raise NotFoundError("no such recording")
    stat = os.stat(file)
    size = stat.st_size
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Cache-Control": CACHE_CONTROL if visibility == "public" else "private, max-age=0",
    }
    media_type = content_type(file)
    if _not_modified(request, etag, stat.st_mtime):
        return Response(content=b"", status_code=304, headers=headers, media_type=media_type)
    wanted: tuple[int, int] | None = None
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range.strip() in (etag, headers["Last-Modified"])):
        try:
            wanted = parse_range(range_header, size)
        except ValueError:
            return Response(
                content=b"",
                status_code=416,
                headers={**headers, "Content-Range": f"bytes */{size}"},
                media_type=media_type,
            )
    start, end = wanted if wanted is not None else (0, size - 1)
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if not with_body or length == 0:
        return Response(content=b"", status_code=status, headers=headers, media_type=media_type)
    return Stream(_read(file, start, length), status_code=status, headers=headers, media_type=media_type)


@route(
    "/media/{path:path}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="media", include_in_schema=False
)
async def media_file(request: Request[Any, Any, State], path: FromPath[str]) -> Response[Any]:
    """A recording (or any file in ARCHIVE_MEDIA_DIR), whole or by byte range; HEAD sends the
    headers alone, so clients can learn the size and validators first."""
    return await _serve(request, path, with_body=request.method != HttpMethod.HEAD)
