"""A backup's manifest is trusted only as far as it checks out: a crafted path, a newer format, a
damaged file or a missing one is refused with a message that names it, before anything is
restored (server/backup/manifest.py). A SQLite backup made and restored with the online backup
API gives back the same rows (server/backup/sqlite.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec
import pytest

from server.backup.manifest import (
    FORMAT,
    MANIFEST_FILE,
    BackupError,
    DatabaseEntry,
    Manifest,
    MediaEntry,
    file_entry,
    read_manifest,
    verify_files,
    write_manifest,
)
from server.backup.sqlite import restore_sqlite, snapshot_sqlite


def _backup(root: Path, media_name: str = "talk.opus") -> Manifest:
    (root / "media").mkdir(parents=True)
    (root / "database.sqlite3").write_bytes(b"not really a database")
    (root / "media" / media_name).write_bytes(b"OggS recording")
    manifest = Manifest(
        format=FORMAT,
        version=1,
        created_at="2026-11-27T18:00:00+00:00",
        database=DatabaseEntry("sqlite", file_entry(root, root / "database.sqlite3"), "0004", {"webinar": 1}),
        media=[MediaEntry(media_name, file_entry(root, root / "media" / media_name))],
        missing_media=[],
        secret_key=None,
    )
    write_manifest(root, manifest)
    return manifest


def test_a_whole_backup_reads_back_and_verifies(tmp_path: Path) -> None:
    written = _backup(tmp_path)
    assert read_manifest(tmp_path) == written
    verify_files(tmp_path, written)


def test_a_damaged_or_missing_file_is_named(tmp_path: Path) -> None:
    manifest = _backup(tmp_path)
    recording = tmp_path / "media" / "talk.opus"
    recording.write_bytes(b"OggS recordinG")  # same size, other bytes
    with pytest.raises(BackupError, match=r"media/talk\.opus does not match its sha256; nothing was changed"):
        verify_files(tmp_path, manifest)
    recording.write_bytes(b"OggS")
    with pytest.raises(BackupError, match=r"media/talk\.opus has 4 bytes, the manifest says 14"):
        verify_files(tmp_path, manifest)
    recording.unlink()
    with pytest.raises(BackupError, match=r"incomplete: media/talk\.opus is missing"):
        verify_files(tmp_path, manifest)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/../../b", "a\\..\\b", ""])
def test_a_path_leaving_the_backup_is_refused(tmp_path: Path, name: str) -> None:
    _backup(tmp_path)
    data = msgspec.json.decode((tmp_path / MANIFEST_FILE).read_bytes())
    data["media"][0]["name"] = name
    (tmp_path / MANIFEST_FILE).write_bytes(msgspec.json.encode(data))
    with pytest.raises(BackupError, match="unsafe path"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is damaged"),
        ('{"format": "something else", "version": 1}', "not a webinar-archive backup manifest"),
        (
            '{"format": "webinar-archive-backup", "version": 2}',
            "format version 2, this webinar-archive reads 1",
        ),
        ('{"format": "webinar-archive-backup", "version": 1}', "is damaged"),
    ],
)
def test_a_bad_manifest_is_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / MANIFEST_FILE).write_text(text)
    with pytest.raises(BackupError, match=message):
        read_manifest(tmp_path)


def test_not_a_backup_folder(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such backup folder"):
        read_manifest(tmp_path / "missing")
    with pytest.raises(BackupError, match=f"is not a backup: cannot read {MANIFEST_FILE}"):
        read_manifest(tmp_path)


def test_sqlite_snapshot_and_restore_round_trip(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    with closing(sqlite3.connect(live)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (n INTEGER)")
        connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(5000)])
        connection.commit()
        snapshot_sqlite(f"sqlite:///{live}", tmp_path / "copy.db")
    target = tmp_path / "restored" / "archive.db"
    restore_sqlite(tmp_path / "copy.db", f"sqlite:///{target}")
    with closing(sqlite3.connect(target)) as connection:
        assert connection.execute("SELECT count(*), sum(n) FROM t").fetchone() == (5000, sum(range(5000)))
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file


def test_a_backup_from_a_newer_schema_is_refused_before_anything_changes(tmp_path: Path) -> None:
    from server.backup.archive import restore_backup
    from server.settings import Settings

    manifest = _backup(tmp_path / "backup")
    newer = msgspec.structs.replace(
        manifest, database=msgspec.structs.replace(manifest.database, revision="9999")
    )
    write_manifest(tmp_path / "backup", newer)
    settings = Settings.from_env({}, base_dir=tmp_path / "site")
    with pytest.raises(BackupError, match=r"newer webinar-archive \(schema revision '9999'\): restore it"):
        restore_backup(settings, tmp_path / "backup")
    assert not (tmp_path / "site").exists()
