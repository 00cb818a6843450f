"""Backups of the archive, and restoring one (`webinar-archive backup DEST`, `restore SRC`).

What is the archive's data, and so what a backup holds: the catalogue database (webinars,
transcripts, people, edit history, staff accounts and tokens, job rows), the recordings it
names under ARCHIVE_MEDIA_DIR, and the site's secret key (<data_dir>/secret.key, so sessions
and CSRF tokens stay valid). Not held: the search index (rebuilt from the database on restore),
the speech models (downloaded again), the job queue (the reaper re-sends queued jobs from their
rows), logs and lock files.

- `manifest.py`: the backup's `manifest.json` (format version, row counts, size and sha256 of
  every file) and the check that a backup is whole before anything is changed.
- `sqlite.py`, `postgres.py`: a consistent snapshot of each kind of database and its restore
  (SQLite's online backup API; `pg_dump`/`pg_restore` in one exported snapshot).
- `archive.py`: `make_backup` and `restore_backup`, which put the pieces together.
- `commands.py`: the two subcommands for server/cli.py.
"""
