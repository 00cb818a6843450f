"""The Litestar application factory: `create_app(settings)`.

Nothing here reads the environment: the entry point (`webinar-archive serve`) builds the settings
and tests build their own, so two apps with different databases can live in one process. The
lifespan owns the database engine and closes it on shutdown; start-up also brings the schema up
to date. The Meilisearch client belongs to the search package's plugin (server/search/api.py),
which adds its own lifespan, controller and error handlers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.types import ControllerRouterHandler
from sqlalchemy import Engine

from server.accounts.plugin import AccountsPlugin
from server.catalog.db import Database, create_db_engine, upgrade_database
from server.editing.api import EditingPlugin
from server.jobs.api import JobsPlugin
from server.problems import document_problems
from server.search.api import SearchPlugin, provide_search
from server.search.catchup import CatchUpIndexing
from server.search.service import SearchService
from server.settings import Settings
from server.uploads.pages import UploadsPlugin
from server.web.api import CaptionController, WebinarController
from server.web.cache import RouteCache, WebinarCache
from server.web.disconnect import cancel_on_disconnect
from server.web.errors import EXCEPTION_HANDLERS
from server.web.health import health
from server.web.plugin import SitePlugin

log = logging.getLogger(__name__)

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def provide_database(state: State) -> Database:
    """The catalogue's `Database` (opened by the lifespan) for handlers that declare `db`."""
    database: Database = state.database
    return database


def _database_lifespan(settings: Settings, engine: Engine | None, migrate: bool) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = engine is None
        db = engine if engine is not None else create_db_engine(settings.storage.database_url)
        database = Database(db)
        try:
            if migrate:
                await anyio.to_thread.run_sync(upgrade_database, db)
            app.state.engine = db
            app.state.database = database
            yield
        finally:
            database.close()
            if owned:
                db.dispose()

    return lifespan


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    migrate: bool = True,
    search: bool = True,
    plugins: Sequence[InitPluginProtocol] = (),
    extra_handlers: Sequence[ControllerRouterHandler] = (),
    debug: bool = False,
) -> Litestar:
    """Build the app for `settings`.

    `engine` lets a caller (a test, a worker sharing a pool) hand over an engine it owns; the
    app then does not dispose it. `migrate=False` skips the start-up migration for callers that
    already ran it. `search=False` leaves out the default search plugin (which starts or reuses
    the local Meilisearch): tests of the catalogue pages need no index, and tests of search pass
    their own `SearchPlugin(settings, connection=...)` in `plugins`.
    """
    all_plugins = list(plugins)
    if search:
        all_plugins.append(SearchPlugin(settings))
    if all_plugins:
        all_plugins.append(CatchUpIndexing())  # after search: its lifespan needs the client
    handlers: list[ControllerRouterHandler] = [WebinarController, CaptionController, health]
    handlers.extend(extra_handlers)
    # Who is calling (session cookie or Bearer token, `request.user`) and CSRF checks
    # (server/accounts/plugin.py); routes that need an account carry its guards.
    all_plugins.append(AccountsPlugin(settings))
    # Processing jobs: /api/jobs, the staff's uploads and writes on /api/webinars, /staff/jobs
    # (server/jobs/api.py); the queue is made on first use.
    all_plugins.append(JobsPlugin(settings))
    # Staff corrections: segments, history and revert, find and replace (server/editing/api.py).
    all_plugins.append(EditingPlugin())
    # Resumable uploads (tus, /api/uploads) and the upload page (server/uploads/pages.py).
    all_plugins.append(UploadsPlugin(settings))
    # The website: pages, feeds, /static, /media with Range requests and the security headers
    # on every response (server/web/plugin.py).
    all_plugins.append(SitePlugin(settings))
    app = Litestar(
        route_handlers=handlers,
        dependencies={
            "db": Provide(provide_database, sync_to_thread=False),
            "search": Provide(provide_search, sync_to_thread=False),  # for pages, with or without the plugin
        },
        # The database comes up first: plugins' lifespans (search) are appended after it.
        lifespan=[_database_lifespan(settings, engine, migrate)],
        plugins=all_plugins,
        middleware=[cancel_on_disconnect],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        openapi_config=OpenAPIConfig(
            title="Webinar Archive",
            version="0.1.0",
            description="Searchable, linkable webinar replays.",
            path="/schema",
            # The document itself at /schema: the HTML viewers load scripts from a CDN and run
            # inline script, which the site's Content-Security-Policy (rightly) refuses.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
        ),
        # Without the search plugin (tests of the catalogue pages), search answers "unavailable".
        state=State(
            {
                "settings": settings,
                "search": SearchService(None),
                "webinars": WebinarCache(),
                "routes": RouteCache(),
            }
        ),
        debug=debug,
    )
    document_problems(app)  # the problem details each operation may answer with
    return app
