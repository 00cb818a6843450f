"""PostgreSQL: `pg_dump` of the catalogue's schema in one exported snapshot, and `pg_restore`.

The snapshot is exported from a REPEATABLE READ transaction (`pg_export_snapshot()`) that also
counts the rows and lists the recordings, and `pg_dump --snapshot` dumps exactly that state, so
the manifest describes the very dump beside it while the site keeps writing. Only the schema
DATABASE_URL works in is dumped (`--schema`; `public` unless its search_path says otherwise),
without owners or privileges, so it restores under whatever role the target uses.

The restore runs in one transaction (`--single-transaction --exit-on-error`): a failure leaves
the target as it was. `--clean --if-exists` replaces the catalogue's tables. The dump's
`CREATE SCHEMA` entry is left out (the schema is created beforehand when missing), which is
what lets `public`, which every database already has, be restored. pg_restore cannot rename a
schema, so the target's schema must have the backup's name.

pg_dump refuses a server newer than itself, so its major version is checked against the
server's first, with the fix in the message (Debian: postgresql-client-<major>).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from ingest.errors import UnavailableError
from server.backup.contents import Contents, describe
from server.backup.manifest import BackupError

CLIENT_HINT = "install the PostgreSQL client tools (Debian: apt-get install postgresql-client)"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UnavailableError(f"{name} not found on PATH: {CLIENT_HINT}")
    return found


def tool_version(tool: str) -> tuple[int, str]:
    """(major version, the version line) of `pg_dump` or `pg_restore`."""
    line = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    match = re.search(r"\)\s*(\d+)", line) or re.search(r"(\d+)", line)
    if match is None:
        raise UnavailableError(f"cannot read the version of {tool} from {line!r}")
    return int(match.group(1)), line


def server_major(connection: Connection) -> int:
    return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for the client tools (with the URL's `options`, so its search_path too) and
    their environment; the password goes in PGPASSWORD, never on a command line others can read."""
    url = make_url(database_url)
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = " ".join(done.stderr.split())[-600:] or f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def current_schema(connection: Connection) -> str:
    """The schema DATABASE_URL works in: current_schema(), or the first search_path entry when
    that schema does not exist yet."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one_or_none()
    if schema:
        return str(schema)
    path = str(connection.execute(text("SHOW search_path")).scalar_one())
    for entry in (part.strip().strip('"') for part in path.split(",")):
        if entry and entry != "$user":
            return entry
    return "public"


def snapshot_postgres(engine: Engine, database_url: str, target: Path) -> tuple[Contents, str, str]:
    """Dump the catalogue's schema into `target` (pg_dump's custom format); returns what the
    dump holds, the schema's name and pg_dump's version line."""
    pg_dump = _tool("pg_dump")
    major, version_line = tool_version(pg_dump)
    uri, env = _libpq(database_url)
    with engine.connect() as plain:
        connection = plain.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            server = server_major(connection)
            if major < server:
                raise UnavailableError(
                    f"pg_dump {major} cannot dump a PostgreSQL {server} server: install "
                    f"postgresql-client-{server} (Debian) and put its pg_dump first on PATH"
                )
            schema = current_schema(connection)
            contents = describe(connection)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--schema={schema}",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={target}",
                    f"--dbname={uri}",
                ],
                env,
                "pg_dump",
            )
    return contents, schema, version_line


def check_restore_tools(dump_version: str | None) -> None:
    """pg_restore is there and reads dumps of `dump_version` (its major version or newer)."""
    pg_restore = _tool("pg_restore")
    major, _ = tool_version(pg_restore)
    if dump_version:
        match = re.search(r"\)\s*(\d+)", dump_version)
        if match is not None and int(match.group(1)) > major:
            raise UnavailableError(
                f"the backup was dumped by {dump_version!r}; pg_restore {major} cannot read it: "
                f"install postgresql-client-{match.group(1)}"
            )


def restore_postgres(engine: Engine, database_url: str, dump: Path, schema: str) -> None:
    """Replace the catalogue's tables in `schema` with the dump's, in one transaction."""
    pg_restore = _tool("pg_restore")
    uri, env = _libpq(database_url)
    with engine.begin() as connection:
        target = current_schema(connection)
        if target != schema:
            raise BackupError(
                f"the backup holds PostgreSQL schema {schema!r} and DATABASE_URL works in {target!r}; "
                "pg_restore cannot rename a schema: restore into a DATABASE_URL whose search_path is "
                f"{schema}"
            )
        preparer = connection.dialect.identifier_preparer
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {preparer.quote(schema)}"))
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True, env=env)
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump}: {' '.join(listing.stderr.split())[-400:]}")
    kept = [
        line for line in listing.stdout.splitlines() if not re.match(r"^\d+;\s+\d+\s+\d+\s+SCHEMA\s", line)
    ]
    with tempfile.TemporaryDirectory(prefix="webinar-archive-restore-") as folder:
        list_file = Path(folder) / "restore.list"
        list_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-comments",
                f"--use-list={list_file}",
                f"--dbname={uri}",
                str(dump),
            ],
            env,
            "pg_restore",
        )
