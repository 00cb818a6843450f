"""`webinar-archive backup DEST` and `webinar-archive restore SRC [--force]`.

    backup DEST         the catalogue (a consistent snapshot), the recordings it names and the
                        secret key into the new folder DEST, with manifest.json; prints DEST last
    restore SRC         check the backup whole, restore it into an empty archive, rebuild the
                        search index; --force replaces a non-empty one

Errors follow server/cli.py's contract: a damaged backup exits 2 and changes nothing, a
non-empty target (or an existing DEST) 4, missing pg_dump/pg_restore 6. Run `restore` with the
site and workers stopped: it replaces the database under them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from server.settings import Settings


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from server.backup.archive import make_backup

    report = make_backup(settings, Path(args.destination))
    manifest = report.manifest
    size = sum(m.file.bytes for m in manifest.media) + manifest.database.file.bytes
    print(
        f"backed up {manifest.database.rows.get('webinar', 0)} webinars "
        f"({manifest.database.rows.get('segment', 0)} segments, "
        f"{manifest.database.rows.get('edit_history', 0)} history entries, "
        f"{manifest.database.rows.get('app_user', 0)} accounts) and {len(manifest.media)} recordings, "
        f"{size / 1e6:.1f} MB",
        file=sys.stderr,
    )
    print(report.path)
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from server.backup.archive import restore_backup

    report = restore_backup(settings, Path(args.source), force=args.force)
    rows = report.manifest.database.rows
    print(
        f"restored {rows.get('webinar', 0)} webinars, {len(report.manifest.media)} recordings "
        f"(backup of {report.manifest.created_at})"
    )
    if report.index_problem is not None:
        print(
            f"webinar-archive: warning: search index unreachable ({report.index_problem}): "
            "run `webinar-archive reindex` once it is up",
            file=sys.stderr,
        )
    else:
        print(f"search index rebuilt: {report.indexed} segments")
    return 0


def add_backup_commands(sub: Any) -> None:
    """Register `backup` and `restore` on the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "backup", help="back up the catalogue, recordings and secret key into a new folder"
    )
    p.add_argument("destination", help="a new (or empty) folder")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup made by `backup`, then rebuild the search index")
    p.add_argument("source", help="the backup folder")
    p.add_argument("--force", action="store_true", help="replace an archive that is not empty")
    p.set_defaults(handler=cmd_restore)
