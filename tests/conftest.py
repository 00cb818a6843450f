"""Shared fixtures.

Catalogue databases: every test that asks for `catalog_url` or `catalog_engine` runs twice, on a
SQLite file and on the PostgreSQL server named by TEST_DATABASE_URL (`.ci/run` sets it). A set URL
that cannot be reached fails the test rather than skipping it, so CI cannot go green without
PostgreSQL; an unset one skips with a plain reason. Each PostgreSQL test gets a schema of its own
(selected through libpq's `options=-csearch_path=...` in the URL, so the app under test can be
given it as an ordinary DATABASE_URL) and the schema is dropped afterwards. The PostgreSQL runs
are marked `postgres`.

Markers (declared in pyproject.toml): `slow` (the real speech model), `postgres`, `meili` (the
Meilisearch binary: given here to every test using the `meili_server` fixture, and by hand to
tests that start a server of their own), `browser` (Chromium). A test marked `meili` or
`browser` whose program is missing skips with the reason, or fails under CI=true
(tests/binaries.py).

Test data builders are in tests/factories.py, not here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from server.search.process import MeiliConnection
from tests.binaries import PROGRAMS, require_binary
from tests.demo_ingest import DemoIngest
from tests.meili_server import MeiliServer

POSTGRES_SKIP_REASON = "TEST_DATABASE_URL not set: PostgreSQL catalogue tests did not run"


def _postgres_schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url)
    options = f"-csearch_path={schema}"
    rendered = url.set(query={k: v for k, v in url.query.items() if k != "options"}).render_as_string(
        hide_password=False
    )
    separator = "&" if "?" in rendered else "?"
    return f"{rendered}{separator}options={quote(options)}"


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection reads the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "meili_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.meili)


@pytest.hookimpl(tryfirst=True)  # before any fixture starts a server or a browser
def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (program, install_hint) in PROGRAMS.items():
        if item.get_closest_marker(marker):
            require_binary(program, install_hint)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty catalogue database (no tables): a SQLite file, or a fresh PostgreSQL schema."""
    from server.catalog.db import create_db_engine

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP_REASON)
    admin = create_db_engine(base_url)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}", pytrace=False)
    try:
        yield _postgres_schema_url(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def catalog_engine(catalog_url: str) -> Iterator[Engine]:
    """An engine on a catalogue brought up to date by the real migrations."""
    from server.catalog.db import create_db_engine, upgrade_database

    engine = create_db_engine(catalog_url)
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()


# --- a real Meilisearch (search tests): one server per session, a fresh index per test --------


@pytest.fixture(scope="session")
def meili_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeiliConnection]:
    """A real Meilisearch from .venv/bin/meilisearch on a free port, stopped after the session."""
    from tests.meili_server import running_meilisearch

    with running_meilisearch(tmp_path_factory.mktemp("meili")) as connection:
        yield connection


@pytest.fixture
def stoppable_meili(tmp_path: Path) -> Iterator[MeiliServer]:
    """A real Meilisearch of the test's own, which the test may stop and start again on the same
    port and data (fault tests); the shared `meili_server` must never be stopped."""
    folder = tmp_path / "meili"
    folder.mkdir()
    server = MeiliServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_ingest() -> DemoIngest:
    """The demo webinar through the whole ingest pipeline, once per session (about a minute)."""
    from tests.demo_ingest import ingest_demo

    return ingest_demo()


@pytest.fixture
def meili_index(meili_server: MeiliConnection) -> Iterator[str]:
    """The uid of an index no other test uses; deleted afterwards."""
    from tests.meili_server import delete_index

    uid = f"t_{uuid.uuid4().hex[:12]}"
    yield uid
    delete_index(meili_server, uid)
