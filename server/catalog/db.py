"""Database engines and schema migrations.

Engines are built from the settings by whoever owns them (the app's lifespan, a CLI command, a
test), never at import time. SQLite gets WAL mode (readers never wait for the ingest that is
writing) and foreign keys switched on (SQLite leaves them off per connection, and the catalogue
relies on cascades). The schema is only ever changed by Alembic migrations, even in tests, so
what is tested is what production runs.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from ingest.errors import UnavailableError

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


DEFAULT_POOL_SIZE = 8
"""Connections an engine keeps. The web app runs every unit of database work on a thread pool of
exactly this many threads (`Database`), so its requests can never wait on the pool itself."""
POOL_TIMEOUT = 5.0
"""Seconds a checkout may wait for a connection before failing: a busy catalogue answers a short
503, not SQLAlchemy's default 30-s hang."""


def create_db_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any) -> Engine:
    """An engine for `url` (sqlite:///PATH or postgresql+psycopg://...), set up for the catalogue.

    A plain `postgresql://` or `postgres://` URL (as most tools write it) would make SQLAlchemy
    look for psycopg2, which is not installed: it is read as psycopg 3.

    The pool is sized on purpose for both databases: `pool_size` connections kept open, a few
    overflow ones for the odd caller outside the web app's threads (start-up indexing, a CLI
    command sharing the engine), and a checkout timeout of `POOL_TIMEOUT` seconds.
    """
    parsed = make_url(url)
    if parsed.database not in (None, "", ":memory:") or parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", 2)
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A server that does not answer fails the request in seconds rather than hanging a thread.
    kwargs.setdefault("connect_args", {"connect_timeout": int(POOL_TIMEOUT)})
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # An ingest commit can take a moment; make readers and a second writer wait, not fail.
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; no alembic.ini is read.

    Without a URL, `migrations/env.py` falls back to the settings' DATABASE_URL, so a developer's
    `alembic -c ...` and the application agree on which database they mean.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["database_url"] = url
    return config


MAX_ROW_ID: Final = 2**31 - 1
"""The largest id a table can hold on either engine (PostgreSQL `integer`). SQLite cannot even
bind an int past 64 bits (the driver raises OverflowError), so an id that comes from a request
is checked against this before it reaches a query: past it, the row simply does not exist."""


def is_row_id(value: object) -> bool:
    """Whether `value` can name a row: an int (not a bool) from 1 to `MAX_ROW_ID`."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID


MIGRATION_LOCK: Final = "webinar-archive schema migrations"
"""Names the PostgreSQL advisory lock (with the schema, so two archives in one database, or two
tests' schemas, do not wait for each other)."""


def upgrade_database(target: str | Engine) -> tuple[str | None, str | None]:
    """Bring the schema at `target` (a URL or an engine) up to the newest migration; returns the
    revision before and after (None: no schema yet).

    Every entry point calls it (`migrate`, `serve`, the app's start-up, `worker`, `ingest`,
    `reindex`, `user`), and on an up-to-date database it does nothing. Several processes may
    start at once on one catalogue (web workers on two machines, a worker beside them), so the
    upgrade runs under a lock that only one of them holds at a time: the others wait, then find
    the schema at head and do nothing. Without it two of them would both see an empty schema and
    both create the tables, and one would fail on "already exists". See `migration_lock`.
    """
    if isinstance(target, str):
        engine = create_db_engine(target)
        try:
            return upgrade_database(engine)
        finally:
            engine.dispose()
    config = alembic_config()
    with migration_lock(target), target.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends: the migrations commit, then the next one proceeds.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
                {"name": MIGRATION_LOCK},
            )
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Only one process at a time migrates this catalogue.

    PostgreSQL: a transaction-scoped advisory lock, taken by `upgrade_database` inside the very
    transaction that migrates (the DDL is transactional there, so a waiter sees the whole upgrade
    or none of it); it works across machines and is released if the holder dies. SQLite: an
    exclusive `flock` on a file beside the database, `<file>.migrate-lock`, held around the
    upgrade; SQLite is one machine's file, and the kernel drops the lock when its holder dies. A
    database in memory belongs to one process and needs none.
    """
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        yield
        return
    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed however the block ends (commits are the caller's)."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


class DatabaseBusy(UnavailableError):
    """The catalogue could not take the work in time: the caller answers 503 and asks to retry."""


class Database:
    """Runs units of database work for an async app, each on a thread of a pool of its own.

    Why not a session per request: a session opened for a request and closed by the request's
    cleanup crosses threads and awaits, and under load that deadlocks. Request cleanups waited for
    executor threads, while those threads waited for pool connections held by the sessions
    awaiting cleanup; a page also held its connection across a Meilisearch call. Here one call is
    one unit: the session is opened, used and closed inside the same thread, so a connection is
    never held across an await, and the thread count equals the pool size, so no checkout waits.

    Work that has not started when its caller goes away (a client that hung up, a timeout) is
    cancelled before it runs. Work that waits longer than `wait_timeout` seconds in the queue, or
    arrives when `max_queue` calls are already waiting, raises `DatabaseBusy` at once instead.
    Sharing one pool for cheap and expensive pages is fine because every unit is short; the media
    and static routes never touch it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        threads: int | None = None,
        wait_timeout: float = POOL_TIMEOUT,
        max_queue: int = 512,
    ) -> None:
        self.engine = engine
        pool_size = engine.pool.size() if isinstance(engine.pool, QueuePool) else DEFAULT_POOL_SIZE
        self.threads = threads or pool_size
        self.wait_timeout = wait_timeout
        self.max_queue = max_queue
        self.waiting = 0
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="catalogue")

    async def run(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(session, *args, **kwargs)` on a database thread; its session is closed after it.

        Writes commit inside `work` (`with session.begin():`); a unit that raises is rolled back
        by the session's close.
        """
        if self.waiting >= self.max_queue:
            raise DatabaseBusy(f"{self.waiting} requests are already waiting for the catalogue")
        queued_at = time.monotonic()
        call = functools.partial(self._in_thread, queued_at, work, *args, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(self._executor, call)
        self.waiting += 1
        try:
            # Cancelling this await (the client went away) cancels the work if it has not started;
            # the outer bound covers threads stuck on a database that stopped answering.
            return await asyncio.wait_for(future, self.wait_timeout * 3)
        except TimeoutError:
            raise DatabaseBusy(f"the catalogue did not answer within {self.wait_timeout * 3:.0f} s") from None
        finally:
            self.waiting -= 1

    def _in_thread(self, queued_at: float, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        waited = time.monotonic() - queued_at
        if waited > self.wait_timeout:
            raise DatabaseBusy(f"the catalogue was busy for {waited:.1f} s")
        with Session(self.engine, expire_on_commit=False) as session:
            return work(session, *args, **kwargs)

    def pool_status(self) -> dict[str, int]:
        """Connections in use and the requests waiting for a thread: what /health reports."""
        pool = self.engine.pool
        checked_out = pool.checkedout() if isinstance(pool, QueuePool) else 0
        return {"connections_in_use": checked_out, "waiting": self.waiting, "threads": self.threads}

    def close(self) -> None:
        """Drop queued work and stop the threads (running units finish; nothing new starts)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
