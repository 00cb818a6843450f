"""`manifest.json`: what a backup holds, and the proof that it is still whole.

Every file of a backup (the database snapshot, each recording, the secret key) is listed with
its size and sha256, and the database with its row count per table, so `restore` can refuse a
damaged or incomplete backup before it changes anything, and check the restored database
against the counts afterwards. A newer format version than this code knows is refused rather
than half understood.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Final

import msgspec

from ingest.errors import InputError

FORMAT: Final = "webinar-archive-backup"
VERSION: Final = 1
MANIFEST_FILE: Final = "manifest.json"
MEDIA_FOLDER: Final = "media"
SECRET_FILE: Final = "secret.key"
CHUNK: Final = 1024 * 1024


class BackupError(InputError):
    """A backup that cannot be used (missing, damaged, of another kind); nothing was changed."""

    default_title = "The backup cannot be used"


class FileEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    path: str
    """Relative to the backup folder, with '/' separators."""
    bytes: int
    sha256: str


class DatabaseEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    engine: str
    """`sqlite` or `postgresql`: a backup is restored into the same kind of database."""
    file: FileEntry
    revision: str | None
    """The Alembic revision of the snapshot; an older one is migrated after the restore."""
    rows: dict[str, int]
    """Rows per table in the snapshot (the alembic_version table included)."""
    schema: str | None = None
    """PostgreSQL: the schema dumped (objects are restored into the schema of that name)."""
    tool_version: str | None = None
    """PostgreSQL: the `pg_dump --version` line that wrote the dump."""


class MediaEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    """The recording's path under ARCHIVE_MEDIA_DIR, as the catalogue names it."""
    file: FileEntry


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: str
    version: int
    created_at: str
    database: DatabaseEntry
    media: list[MediaEntry]
    missing_media: list[str]
    """Recordings the catalogue names that were not found when the backup was made."""
    secret_key: FileEntry | None
    """None when ARCHIVE_SECRET_KEY comes from the environment (keep it with the backup)."""


def sha256_file(path: Path, progress: Callable[[int], object] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return digest.hexdigest()


def file_entry(root: Path, path: Path) -> FileEntry:
    return FileEntry(path.relative_to(root).as_posix(), path.stat().st_size, sha256_file(path))


def write_manifest(root: Path, manifest: Manifest) -> None:
    (root / MANIFEST_FILE).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")


def read_manifest(root: Path) -> Manifest:
    """The backup's manifest, or a `BackupError` that says what is wrong with it."""
    if not root.is_dir():
        raise BackupError(f"{root}: no such backup folder")
    path = root / MANIFEST_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"{root} is not a backup: cannot read {MANIFEST_FILE} ({exc.strerror})") from None
    try:
        header = msgspec.json.decode(data, type=dict[str, object])
    except msgspec.DecodeError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    if header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a webinar-archive backup manifest")
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise BackupError(
            f"{path}: backup format version {version!r}, this webinar-archive reads {VERSION}; "
            "restore it with the version that made it, or a newer one"
        )
    try:
        manifest = msgspec.json.decode(data, type=Manifest)
    except msgspec.ValidationError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    for entry in _entries(manifest):
        _check_relative(path, entry.path)
    for media in manifest.media:
        _check_relative(path, media.name)
    return manifest


def _check_relative(manifest_path: Path, name: str) -> None:
    """Names in a manifest stay inside their folder: a crafted one must not write elsewhere."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\\" in name or "\x00" in name:
        raise BackupError(f"{manifest_path}: unsafe path {name!r}")


def _entries(manifest: Manifest) -> list[FileEntry]:
    entries = [manifest.database.file, *(media.file for media in manifest.media)]
    if manifest.secret_key is not None:
        entries.append(manifest.secret_key)
    return entries


def verify_files(root: Path, manifest: Manifest, progress: Callable[[int], object] | None = None) -> None:
    """Every file the manifest lists is there with its size and sha256; else `BackupError`
    naming the first that is not (nothing has been changed when this raises)."""
    entries = _entries(manifest)
    for entry in entries:
        path = root / entry.path
        if not path.is_file():
            raise BackupError(f"backup {root} is incomplete: {entry.path} is missing; nothing was changed")
        if path.stat().st_size != entry.bytes:
            raise BackupError(
                f"backup {root} is damaged: {entry.path} has {path.stat().st_size} bytes, the manifest "
                f"says {entry.bytes}; nothing was changed"
            )
    for entry in entries:
        if sha256_file(root / entry.path, progress) != entry.sha256:
            raise BackupError(
                f"backup {root} is damaged: {entry.path} does not match its sha256; nothing was changed"
            )


def total_bytes(manifest: Manifest) -> int:
    return sum(entry.bytes for entry in _entries(manifest))
