"""`POST /api/webinars` bodies: multipart/form-data read as it streams, the recording written
straight to disk.

Litestar's own form parsing reads the whole body into memory first, which a recording of several
gigabytes must never be; here `request.stream()` goes through `multipart.PushMultipartParser`
(the streaming parser Litestar itself depends on) chunk by chunk. The `media` part is written to
a unique hidden file in ARCHIVE_MEDIA_DIR in 1 MiB writes off the event loop, hashed as it goes;
the `manifest` and `agenda` parts are small text kept in memory (at most 1 MiB each). A body
past ARCHIVE_MAX_UPLOAD_MB stops at once with 413 and the partial file is deleted; a disk that
fills up is a 507 (`StorageFullError`), the partial file deleted too.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from ingest.errors import ArchiveError, StorageFullError, is_disk_full
from server.jobs.intake import MAX_METADATA_BYTES, FieldError

WRITE_SIZE = 1 << 20
TEXT_FIELDS = ("manifest", "agenda")


class UploadTooLarge(ArchiveError):
    status = 413
    default_title = "The upload is too large"
    exit_code = 2


@dataclass
class ParsedUpload:
    media: Path | None = None
    filename: str = ""
    size: int = 0
    sha256: str = ""
    texts: dict[str, str] = field(default_factory=dict)


def boundary_of(content_type: str | None) -> str:
    kind, options = parse_options_header(content_type or "")
    if kind != "multipart/form-data" or not options.get("boundary"):
        raise FieldError("media", "send multipart/form-data with media, manifest and agenda parts")
    return str(options["boundary"])


class _MediaWriter:
    """Buffers the recording's chunks and writes them 1 MiB at a time on a worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: BinaryIO = path.open("xb")
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = 0

    async def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        self.digest.update(chunk)
        self.size += len(chunk)
        if len(self.buffer) >= WRITE_SIZE:
            await self.flush()

    async def flush(self) -> None:
        if self.buffer:
            data, self.buffer = bytes(self.buffer), bytearray()
            await anyio.to_thread.run_sync(self.handle.write, data)

    async def close(self) -> None:
        await self.flush()
        await anyio.to_thread.run_sync(self.handle.close)


async def receive_upload(
    stream: AsyncIterator[bytes],
    content_type: str | None,
    target: Path,
    max_bytes: int,
    *,
    media_field: str = "media",
    text_fields: Collection[str] = TEXT_FIELDS,
) -> ParsedUpload:
    """Parse the body into `target` (the `media_field` part) and the `text_fields` parts (others
    are skipped unread: the upload page posts its many small fields through here too).

    Raises `UploadTooLarge` past `max_bytes` of body, `FieldError` for a malformed body, a
    second recording or an over-long text part; on any error `target` is removed.
    """
    boundary = boundary_of(content_type)
    result = ParsedUpload()
    writer: _MediaWriter | None = None
    received = 0
    segment: MultipartSegment | None = None
    text: bytearray | None = None
    try:
        with PushMultipartParser(boundary, max_header_count=8) as parser:
            async for chunk in stream:
                received += len(chunk)
                if received > max_bytes:
                    raise UploadTooLarge(
                        f"the upload is larger than the limit of {max_bytes / 1024**2:,.0f} MB "
                        "(ARCHIVE_MAX_UPLOAD_MB)"
                    )
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment, text = event, None
                        if event.name == media_field:
                            if writer is not None:
                                raise FieldError("media", "send one recording per upload")
                            writer = _MediaWriter(target)
                            result.media, result.filename = target, Path(event.filename or "").name
                        elif event.name in text_fields:
                            text = bytearray()
                    elif event is None:
                        if segment is not None and text is not None and segment.name:
                            result.texts[segment.name] = _decode(segment.name, text)
                        segment, text = None, None
                    elif segment is not None and segment.name == media_field and writer is not None:
                        await writer.write(event)
                    elif text is not None and segment is not None:
                        text += event
                        if len(text) > MAX_METADATA_BYTES:
                            raise FieldError(str(segment.name), "longer than 1 MB")
            for _event in parser.parse(b""):  # end of input: checks the body was complete
                pass
        if writer is not None:
            await writer.close()  # the last write, where a full disk often shows
            result.size, result.sha256 = writer.size, writer.digest.hexdigest()
    except MultipartError as exc:
        await _discard(writer, target)
        raise FieldError("media", f"the multipart body cannot be read ({exc})") from None
    except OSError as exc:
        await _discard(writer, target)
        if is_disk_full(exc):
            raise StorageFullError(
                f"the recording could not be stored: the media folder's disk is full ({exc.strerror}); "
                "nothing was kept"
            ) from None
        raise
    except BaseException:
        await _discard(writer, target)
        raise
    return result


def _decode(name: str, data: bytearray) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError(name, "not UTF-8 text") from None


async def _discard(writer: _MediaWriter | None, target: Path) -> None:
    if writer is not None:
        writer.buffer.clear()  # never flushed on close: on a full disk that would fail again
        with contextlib.suppress(OSError):
            await anyio.to_thread.run_sync(writer.handle.close)
    target.unlink(missing_ok=True)
