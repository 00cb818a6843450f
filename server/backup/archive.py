"""`make_backup` and `restore_backup`: the database snapshot, the recordings, the secret key and
the manifest that ties them together.

A backup folder appears whole or not at all: it is written beside its destination under a
hidden name and renamed at the end. The recordings backed up are those the snapshot names
(their files never change once stored: a name carries the recording's hash), so they match the
snapshot even while uploads go on. A restore checks everything before it changes anything (the
manifest, every file's size and sha256, the tools it needs, an empty target unless `force`),
then writes the database, the recordings and the key, checks the restored row counts against
the manifest, migrates an older snapshot to the current schema, and rebuilds the search index
from the restored catalogue (as `reindex` does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ingest.errors import ArchiveError, ConflictError, UnavailableError
from server.backup.contents import Contents, describe, occupied
from server.backup.manifest import (
    CHUNK,
    FORMAT,
    MEDIA_FOLDER,
    SECRET_FILE,
    VERSION,
    BackupError,
    DatabaseEntry,
    FileEntry,
    Manifest,
    MediaEntry,
    file_entry,
    read_manifest,
    sha256_file,
    total_bytes,
    verify_files,
    write_manifest,
)
from server.settings import Settings

Say = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _bar(label: str, total: int, unit: str = "B") -> Iterator[Callable[[int], object]]:
    """A tqdm bar on standard error for a long step (off unless a terminal, or ARCHIVE_PROGRESS=1)."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=label,
        unit=unit,
        unit_scale=unit == "B",
        file=sys.stderr,
        disable=False if os.environ.get("ARCHIVE_PROGRESS") == "1" else None,
    )
    try:
        yield bar.update
    finally:
        bar.close()


@contextmanager
def _pages_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A bar for SQLite's page copy, which learns its total as it goes."""
    from tqdm import tqdm

    bar = tqdm(
        desc=label,
        unit="page",
        file=sys.stderr,
        disable=False if os.environ.get("ARCHIVE_PROGRESS") == "1" else None,
    )

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _engine_kind(database_url: str) -> str:
    return "sqlite" if make_url(database_url).get_backend_name() == "sqlite" else "postgresql"


def _database_file(kind: str) -> str:
    return "database.sqlite3" if kind == "sqlite" else "database.pgdump"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: Manifest


def make_backup(settings: Settings, destination: Path, say: Say = _stderr) -> BackupReport:
    """Back up the archive into `destination`, a new (or empty) folder."""
    destination = destination.expanduser().resolve()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ConflictError(f"{destination} exists and is not an empty folder: back up into a new folder")
    work = destination.parent / f".{destination.name}.part-{os.getpid()}"
    work.mkdir(parents=True)
    try:
        manifest = _write_backup(settings, work, say)
        if destination.exists():
            destination.rmdir()
        work.rename(destination)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupReport(destination, manifest)


def _write_backup(settings: Settings, work: Path, say: Say) -> Manifest:
    storage = settings.storage
    kind = _engine_kind(storage.database_url)
    database_path = work / _database_file(kind)
    schema: str | None = None
    tool_line: str | None = None
    if kind == "sqlite":
        from server.backup.sqlite import snapshot_sqlite

        with _pages_bar("database") as pages:
            snapshot_sqlite(storage.database_url, database_path, pages)
        contents = _describe_sqlite(database_path)
    else:
        from server.backup.postgres import snapshot_postgres
        from server.catalog.db import create_db_engine

        say("dumping the PostgreSQL catalogue with pg_dump...")
        engine = create_db_engine(storage.database_url, pool_size=1)
        try:
            contents, schema, tool_line = snapshot_postgres(engine, storage.database_url, database_path)
        finally:
            engine.dispose()
    database = DatabaseEntry(
        engine=kind,
        file=file_entry(work, database_path),
        revision=contents.revision,
        rows=contents.rows,
        schema=schema,
        tool_version=tool_line,
    )
    media, missing = _copy_media(storage.media_dir, contents.media, work, say)
    secret = _copy_secret(settings, work, say)
    manifest = Manifest(
        format=FORMAT,
        version=VERSION,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=database,
        media=media,
        missing_media=missing,
        secret_key=secret,
    )
    write_manifest(work, manifest)
    return manifest


def _describe_sqlite(path: Path) -> Contents:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return describe(connection)
    finally:
        engine.dispose()


def _media_source(media_dir: Path, name: str) -> tuple[str, Path] | None:
    """The recording the catalogue names, as (name under ARCHIVE_MEDIA_DIR, file); None when it
    is missing or lies outside the media folder."""
    root = media_dir.resolve()
    path = Path(name)
    full = (path if path.is_absolute() else root / path).resolve()
    if not full.is_relative_to(root) or not full.is_file():
        return None
    return full.relative_to(root).as_posix(), full


def _copy_media(
    media_dir: Path, names: list[str], work: Path, say: Say
) -> tuple[list[MediaEntry], list[str]]:
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in names:
        located = _media_source(media_dir, name)
        if located is None:
            missing.append(name)
        else:
            found[located[0]] = located[1]
    for name in missing:
        say(f"webinar-archive: warning: recording {name!r} is not in {media_dir}: not backed up")
    entries: list[MediaEntry] = []
    with _bar("recordings", sum(path.stat().st_size for path in found.values())) as advance:
        for name, source in sorted(found.items()):
            target = work / MEDIA_FOLDER / name
            digest = _copy_hashing(source, target, advance)
            entries.append(
                MediaEntry(
                    name, FileEntry(target.relative_to(work).as_posix(), target.stat().st_size, digest)
                )
            )
    return entries, missing


def _copy_hashing(source: Path, target: Path, advance: Callable[[int], object]) -> str:
    """Copy `source` to `target` (through a hidden temporary name), returning the sha256 of what
    was written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as reader, tmp.open("wb") as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                advance(len(chunk))
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _copy_secret(settings: Settings, work: Path, say: Say) -> FileEntry | None:
    from server.accounts.secret import KEY_FILE

    if settings.access.secret_key:
        say("webinar-archive: note: ARCHIVE_SECRET_KEY comes from the environment: keep it with the backup")
        return None
    source = settings.storage.data_dir / KEY_FILE
    if not source.is_file():
        return None
    target = work / SECRET_FILE
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as writer:
        writer.write(source.read_bytes())
    return file_entry(work, target)


# --- restore -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    indexed: int | None
    """Segments put in the search index; None when Meilisearch could not be reached."""
    index_problem: str | None


def restore_backup(
    settings: Settings, source: Path, *, force: bool = False, say: Say = _stderr
) -> RestoreReport:
    """Restore the backup at `source` into the archive the settings name, then rebuild the index."""
    from server.catalog.db import create_db_engine, upgrade_database

    source = source.expanduser().resolve()
    manifest = read_manifest(source)
    storage = settings.storage
    kind = _engine_kind(storage.database_url)
    if manifest.database.engine != kind:
        raise BackupError(
            f"backup {source} holds a {manifest.database.engine} catalogue and DATABASE_URL names {kind}; "
            "restore it into the same kind of database"
        )
    _check_revision(source, manifest.database.revision)
    if kind == "postgresql":
        from server.backup.postgres import check_restore_tools

        check_restore_tools(manifest.database.tool_version)
    with _bar("checking backup", total_bytes(manifest)) as advance:
        verify_files(source, manifest, advance)

    engine = create_db_engine(storage.database_url, pool_size=1)
    try:
        reasons = _occupied(settings, engine, manifest)
        if reasons and not force:
            raise ConflictError(
                f"the archive is not empty ({'; '.join(reasons)}): restore into an empty archive, "
                "or pass --force to replace it with the backup"
            )
        database_file = source / manifest.database.file.path
        if kind == "sqlite":
            from server.backup.sqlite import restore_sqlite

            engine.dispose()  # no connection of ours holds the file while its pages are replaced
            with _pages_bar("database") as pages:
                restore_sqlite(database_file, storage.database_url, pages)
        else:
            from server.backup.postgres import restore_postgres

            say("restoring the PostgreSQL catalogue with pg_restore...")
            restore_postgres(
                engine, storage.database_url, database_file, manifest.database.schema or "public"
            )
        with engine.connect() as connection:
            restored = describe(connection).rows
        if restored != manifest.database.rows:
            differ = sorted(
                t
                for t in {*restored, *manifest.database.rows}
                if restored.get(t) != manifest.database.rows.get(t)
            )
            raise ArchiveError(
                f"the restored catalogue's row counts differ from the backup's in: {', '.join(differ)}"
            )
        upgrade_database(engine)
        _restore_media(storage.media_dir, source, manifest)
        _restore_secret(settings, source, manifest)
        indexed, problem = _reindex(settings, engine)
    finally:
        engine.dispose()
    return RestoreReport(manifest, indexed, problem)


def _check_revision(source: Path, revision: str | None) -> None:
    """A snapshot from a newer webinar-archive (a migration this code lacks) cannot be migrated:
    refused before anything changes, rather than failing half-way."""
    from alembic.script import ScriptDirectory

    from server.catalog.db import alembic_config

    if revision is None:
        return
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"backup {source} was made by a newer webinar-archive (schema revision {revision!r}): "
            "restore it with that version or a later one; nothing was changed"
        )


def _occupied(settings: Settings, engine: Engine, manifest: Manifest) -> list[str]:
    """What the restore would replace: catalogue rows, recordings or a key that differ."""
    reasons: list[str] = []
    if _engine_kind(settings.storage.database_url) == "sqlite":
        from server.backup.sqlite import sqlite_file

        exists = sqlite_file(settings.storage.database_url).is_file()
    else:
        exists = True
    if exists:
        with engine.connect() as connection:
            found = occupied(connection)
        if found:
            reasons.append(f"the catalogue holds {' and '.join(found)}")
    clashes = [
        media.name
        for media in manifest.media
        if _differs(settings.storage.media_dir / media.name, media.file)
    ]
    if clashes:
        reasons.append(f"{len(clashes)} recordings in {settings.storage.media_dir} differ from the backup's")
    if manifest.secret_key is not None and _differs(_secret_path(settings), manifest.secret_key):
        reasons.append(f"{_secret_path(settings)} holds another key")
    return reasons


def _differs(path: Path, entry: FileEntry) -> bool:
    """A file is there that is not the backup's (one that is identical is left as it is)."""
    if not path.exists():
        return False
    return not path.is_file() or path.stat().st_size != entry.bytes or sha256_file(path) != entry.sha256


def _secret_path(settings: Settings) -> Path:
    from server.accounts.secret import KEY_FILE

    return settings.storage.data_dir / KEY_FILE


def _restore_media(media_dir: Path, source: Path, manifest: Manifest) -> None:
    wanted = [
        m for m in manifest.media if _differs(media_dir / m.name, m.file) or not (media_dir / m.name).exists()
    ]
    with _bar("recordings", sum(m.file.bytes for m in wanted)) as advance:
        for media in wanted:
            target = media_dir / media.name
            if target.exists() and not target.is_file():
                raise ConflictError(f"{target} is not a file: move it away and restore again")
            digest = _copy_hashing(source / media.file.path, target, advance)
            if digest != media.file.sha256:  # changed under us since the check
                target.unlink(missing_ok=True)
                raise BackupError(f"{media.file.path} changed while it was restored: restore again")


def _restore_secret(settings: Settings, source: Path, manifest: Manifest) -> None:
    if manifest.secret_key is None:
        return
    target = _secret_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as writer:
        writer.write((source / manifest.secret_key.path).read_bytes())
    tmp.replace(target)


def _reindex(settings: Settings, engine: Engine) -> tuple[int | None, str | None]:
    from server.search.indexer import index_catalogue

    try:
        report = index_catalogue(settings, engine, index_uid=settings.search.index_uid)
    except UnavailableError as exc:
        return None, str(exc)
    return report.documents, None
