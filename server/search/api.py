"""`GET /api/search` and the plumbing it needs in a Litestar app.

`create_app(settings)` registers everything with one line: `plugins=[SearchPlugin(settings)]`.
The plugin adds `SearchController`, a lifespan that owns the Meilisearch client (on
`app.state.meili`, with the `SearchService` on `app.state.search`). "Meilisearch is down" is a
`SearchUnavailable`, which the app's one error handler answers with a 503 and the reason.

With `MEILI_URL` unset the lifespan starts (or reuses) the local Meilisearch of ARCHIVE_DATA_DIR
and stops it at shutdown if it started it; a server that cannot start leaves the app running,
with search answering 503 and the reason (the rest of the site does not need the index).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import anyio.to_thread
from litestar import Controller, Litestar, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.plugins import InitPluginProtocol

from ingest.document import SegmentKind
from ingest.errors import ArchiveError
from server.problems import archive_problem
from server.search.index import MeiliIndex, SearchIndexError, SearchUnavailable, open_client
from server.search.meaning import warm_up
from server.search.process import MeiliConnection, MeiliProcessError, meilisearch
from server.search.service import MAX_OFFSET, MAX_QUERY_CHARS, SearchQuery, SearchResponse, SearchService
from server.settings import Settings

log = logging.getLogger(__name__)


def provide_search(state: State) -> SearchService:
    """The app's search service for handlers that declare `search` (it may be unavailable)."""
    service: SearchService = state.search
    return service


class SearchController(Controller):
    """Full-text search over every segment of every published webinar."""

    path = "/api/search"
    tags = ["search"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get(
        "/",
        summary="Search transcripts",
        description=(
            "Segments matching `q` (typo-tolerant, with the field's abbreviations as synonyms), "
            "and by default those that say what `q` means in other words (`mode`), filtered, with "
            "facet counts. `group=webinar` returns the best moments per webinar."
        ),
    )
    async def search(
        self,
        search: NamedDependency[SearchService],
        q: Annotated[
            str, Parameter(max_length=MAX_QUERY_CHARS, description="words to find; empty lists the newest")
        ] = "",
        webinar: Annotated[str | None, Parameter(description="a webinar's slug")] = None,
        speaker: Annotated[str | None, Parameter(description="a speaker's display name")] = None,
        kind: Annotated[SegmentKind | None, Parameter(description="segment kind")] = None,
        topic: Annotated[str | None, Parameter(description="one of the webinar's topics")] = None,
        project: Annotated[str | None, Parameter(description="a project named in the webinar")] = None,
        language: Annotated[
            str | None,
            Parameter(pattern=r"^[a-z]{2}$", description="ISO 639-1 code of the webinar's language"),
        ] = None,
        date_from: Annotated[dt.date | None, Parameter(description="YYYY-MM-DD, inclusive")] = None,
        date_to: Annotated[dt.date | None, Parameter(description="YYYY-MM-DD, inclusive")] = None,
        limit: Annotated[int, Parameter(ge=1, le=100, description="hits (or webinars) per page")] = 20,
        offset: Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="hits (or webinars) to skip")] = 0,
        group: Annotated[Literal["webinar"] | None, Parameter(description="'webinar' groups hits")] = None,
        mode: Annotated[
            Literal["keyword", "hybrid", "meaning"],
            Parameter(
                description="match the words (`keyword`), words and meaning (`hybrid`), or meaning only"
            ),
        ] = "hybrid",
    ) -> SearchResponse:
        query = SearchQuery(
            q=q,
            webinar=webinar,
            speaker=speaker,
            kind=kind,
            topic=topic,
            project=project,
            language=language,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
            group=group,
            mode=mode,
        )
        return await search.search(query)  # QueryError is an InputError: the app answers 400


class SearchPlugin(InitPluginProtocol):
    """Adds search to an app: the controller, the client's lifespan, the 503/502 handlers.

    `connection` overrides the settings (tests and the benchmark point the app at their own
    server, or at a closed port); `index_uid` lets them use an index of their own (default: the
    settings' MEILI_INDEX, which the workers, `ingest` and `reindex` use too).

    `no_local`, when given, forbids starting a local Meilisearch: with `MEILI_URL` unset, search
    answers 503 with this reason instead. `serve`'s worker processes use it: the local server
    belongs to the parent (server/serving.py), and a worker that started its own would stop it
    when uvicorn restarts that worker, under the other workers' feet.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        connection: MeiliConnection | None = None,
        index_uid: str | None = None,
        timeout: float = 5.0,
        no_local: str | None = None,
    ) -> None:
        self.settings = settings
        self.connection = connection
        self.index_uid = index_uid or settings.search.index_uid
        self.timeout = timeout
        self.no_local = no_local

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(SearchController)
        app_config.lifespan.append(self.lifespan)
        app_config.dependencies.setdefault("search", Provide(provide_search, sync_to_thread=False))
        # An app with the website has its own handler (HTML for pages); an API alone gets JSON.
        app_config.exception_handlers.setdefault(ArchiveError, archive_problem)
        if "search" not in app_config.state:  # until the lifespan has a client
            app_config.state["search"] = SearchService(None, "search is starting")
        return app_config

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """Open the client (and the local server if needed) for the app's lifetime, then close."""
        async with contextlib.AsyncExitStack() as stack:
            connection = self.connection
            if connection is None and self.no_local is not None and not self.settings.search.meili_url:
                log.error("search disabled: %s", self.no_local)
                app.state.search = SearchService(None, self.no_local)
            elif connection is None:
                try:
                    # Starting a process and polling it blocks: keep it off the event loop.
                    manager = meilisearch(self.settings)
                    connection = await anyio.to_thread.run_sync(manager.__enter__)
                    stack.push_async_callback(anyio.to_thread.run_sync, manager.__exit__, None, None, None)
                except MeiliProcessError as exc:
                    log.error("search disabled: %s", exc)
                    app.state.search = SearchService(None, str(exc))
            if connection is not None:
                client = open_client(connection, timeout=self.timeout)
                stack.push_async_callback(client.aclose)
                index = MeiliIndex(client, self.index_uid)
                app.state.meili = client
                app.state.search = SearchService(index)
                # Daemon: a process that stops within the ~2 s of loading does not wait for it.
                threading.Thread(target=warm_up, name="embedder-warm-up", daemon=True).start()
                try:
                    await index.ensure()  # settings before any document, whoever adds them
                except (SearchUnavailable, SearchIndexError) as exc:
                    log.warning("search index not ready at start-up: %s", exc)
            try:
                yield
            finally:
                app.state.search = SearchService(None, "the server is shutting down")
                app.state.meili = None
