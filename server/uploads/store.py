"""Partial uploads on disk: one growing file and one small JSON record per upload.

A recording of several gigabytes travels in chunks (server/uploads/tus.py); each chunk is
appended here as it streams in, so memory holds one network read at a time, never the file. The
offset the next chunk must start at is the file's size on disk, so an upload interrupted by a
dropped connection resumes from what really arrived, whatever the process that wrote it.
Uploads live under ARCHIVE_DATA_DIR/uploads until a form submits them (then the file moves to
the media folder) or they expire.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Final

from ingest.errors import ConflictError, InputError, NotFoundError, StorageFullError, is_disk_full
from server.jobs.upload import UploadTooLarge

UPLOAD_ID: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
EXPIRY_SECONDS: Final = 24 * 3600
"""An upload neither finished nor submitted within a day is removed (a dropped session)."""


class UploadIncomplete(InputError):
    """A form submitted before its upload finished: refused, and the upload kept to go on."""


class OffsetMismatch(ConflictError):
    """A chunk that does not start where the upload stands (tus answers 409)."""


@dataclass
class UploadRecord:
    """What is known of one upload besides its bytes."""

    length: int
    """The full size announced when the upload was created."""
    filename: str
    owner: int | None
    """The user who started it: only they may continue or submit it."""
    created: float


class UploadStore:
    """Uploads under one folder; `max_bytes` is the largest recording accepted."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    # ---- paths -----------------------------------------------------------------------------

    def _check(self, upload_id: str) -> None:
        if not UPLOAD_ID.match(upload_id):
            raise NotFoundError(f"no upload {upload_id[:70]!r}")

    def data_path(self, upload_id: str) -> Path:
        self._check(upload_id)
        return self.folder / f"{upload_id}.part"

    def _record_path(self, upload_id: str) -> Path:
        self._check(upload_id)
        return self.folder / f"{upload_id}.json"

    # ---- lifecycle ---------------------------------------------------------------------------

    def create(self, length: int, filename: str, owner: int | None) -> str:
        """A new, empty upload of `length` bytes; refuses what exceeds the limit before any byte."""
        if length < 1:
            raise InputError("Upload-Length: expected the recording's size in bytes (at least 1)")
        if length > self.max_bytes:
            size, limit = length / 1e6, self.max_bytes / 1e6
            raise UploadTooLarge(f"the recording is {size:,.0f} MB; the largest accepted is {limit:,.0f} MB")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.expire()
        upload_id = secrets.token_urlsafe(18)
        self.data_path(upload_id).touch()
        record = UploadRecord(length=length, filename=_clean_name(filename), owner=owner, created=time.time())
        self._record_path(upload_id).write_text(json.dumps(asdict(record)), encoding="utf-8")
        return upload_id

    def record(self, upload_id: str) -> UploadRecord:
        try:
            data = json.loads(self._record_path(upload_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError(f"no upload {upload_id!r} (finished, expired or never started)") from None
        return UploadRecord(**data)

    def offset(self, upload_id: str) -> int:
        try:
            return self.data_path(upload_id).stat().st_size
        except FileNotFoundError:
            raise NotFoundError(f"no upload {upload_id!r}") from None

    def is_complete(self, upload_id: str) -> bool:
        return self.offset(upload_id) == self.record(upload_id).length

    async def append(self, upload_id: str, offset: int, chunks: AsyncIterator[bytes]) -> int:
        """Append a chunk that starts at `offset`; returns the new offset.

        One writer per upload at a time (an advisory lock; a second gets 409). Bytes are written
        as they arrive, unbuffered, so a connection dropped mid-chunk (or a server killed) keeps
        what came and the client resumes from the offset HEAD reports. More bytes than announced
        are refused, and the excess is cut off. A full disk is a `StorageFullError` (507): the
        bytes written so far stay, and the upload resumes from them once there is space.
        """
        record = self.record(upload_id)
        path = self.data_path(upload_id)
        with _exclusive(path) as handle:
            current = os.fstat(handle.fileno()).st_size
            if offset != current:
                raise OffsetMismatch(f"Upload-Offset {offset} does not match the upload's offset {current}")
            written = current
            try:
                try:
                    async for chunk in chunks:
                        if written + len(chunk) > record.length:
                            _write_all(handle, chunk[: record.length - written])
                            written = record.length
                            raise InputError(f"more bytes than the {record.length} announced")
                        _write_all(handle, chunk)
                        written += len(chunk)
                finally:
                    os.fsync(handle.fileno())
            except OSError as exc:
                if not is_disk_full(exc):
                    raise
                kept = os.fstat(handle.fileno()).st_size
                raise StorageFullError(
                    f"the upload could not be stored: the disk is full ({exc.strerror}); the "
                    f"{kept:,} bytes received so far are kept, and the upload resumes from there "
                    "once space is freed (or delete it)"
                ) from None
        return written

    def delete(self, upload_id: str) -> None:
        for path in (self.data_path(upload_id), self._record_path(upload_id)):
            path.unlink(missing_ok=True)

    def adopt(self, path: Path, filename: str, owner: int | None) -> str:
        """A file already received whole (a form posted without JavaScript) as a finished upload,
        so the form can refer to it while its fields are corrected."""
        self.folder.mkdir(parents=True, exist_ok=True)
        upload_id = secrets.token_urlsafe(18)
        length = path.stat().st_size
        _move(path, self.data_path(upload_id))
        record = UploadRecord(length=length, filename=_clean_name(filename), owner=owner, created=time.time())
        self._record_path(upload_id).write_text(json.dumps(asdict(record)), encoding="utf-8")
        return upload_id

    def take(self, upload_id: str, target: Path) -> Path:
        """Move a complete upload's file to `target` (the media folder) and forget the upload.

        A media folder on another disk is a copy (`_move`); if that disk is full the upload is
        kept as it was, for a retry once there is space."""
        if not self.is_complete(upload_id):
            raise UploadIncomplete(
                "the recording has not finished uploading; wait for 100% or upload it again"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(self.data_path(upload_id), target)
        self._record_path(upload_id).unlink(missing_ok=True)
        return target

    def expire(self, now: float | None = None) -> int:
        """Remove uploads older than EXPIRY_SECONDS; how many went."""
        now = time.time() if now is None else now
        removed = 0
        for record_path in self.folder.glob("*.json"):
            try:
                created = float(json.loads(record_path.read_text(encoding="utf-8"))["created"])
            except (OSError, ValueError, KeyError):
                continue
            if now - created > EXPIRY_SECONDS:
                self.delete(record_path.stem)
                removed += 1
        return removed


def _move(source: Path, target: Path) -> None:
    """Rename `source` to `target`; across file systems (ARCHIVE_DATA_DIR and ARCHIVE_MEDIA_DIR
    on different disks) copy it beside the target under a hidden name, sync, rename, and only
    then remove the source. A failed copy leaves no partial file and the source untouched; a
    full disk is a `StorageFullError`."""
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        shutil.copyfile(source, partial)
        with partial.open("rb") as copied:
            os.fsync(copied.fileno())
        os.replace(partial, target)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFullError(
                f"the recording could not be stored in {target.parent}: the disk is full; nothing "
                "was kept there, and the upload can be submitted again once space is freed"
            ) from None
        raise
    source.unlink()


def _write_all(handle: BinaryIO, data: bytes) -> None:
    """Write `data` to an unbuffered file: what the disk took is on disk at once, so the file's
    size is always the upload's true offset, even when a write fails half-way (a full disk)."""
    view = memoryview(data)
    while view:
        count = handle.write(view)
        view = view[count or 0 :]


@contextmanager
def _exclusive(path: Path) -> Iterator[BinaryIO]:
    """The upload's file opened for appending, unbuffered, under an advisory lock."""
    with path.open("ab", buffering=0) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError("another request is writing to this upload; retry when it ends") from None
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _clean_name(filename: str) -> str:
    """The original file name, for display and its extension only (never used as a path)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return re.sub(r"[^\w.\- ]", "_", name)[:200] or "recording"
