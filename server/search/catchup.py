"""Bringing the search index up to the catalogue while the site runs, without a restart.

A webinar is stored first and indexed after. When Meilisearch cannot be reached at that moment
(an ingest, an upload's job, a staff edit, a publish) the webinar stays `index_pending`
(server/catalog/status.py): listed, served from the database, not yet searchable.
`CatchUpIndexing` indexes those webinars at start-up and then every
`INDEX_CATCH_UP_SECONDS` (30 by default) for as long as the app runs, so once Meilisearch is back
they become searchable within one interval, with no `reindex` and no restart.

A pass costs one small query when nothing waits. With several web processes each runs its own
passes: two indexing one webinar at once is harmless (its documents are replaced, not added), and
a webinar that changes while a pass sends its documents stays pending for the next pass
(`index_and_mark_ready` marks only the version it sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from server.catalog.db import Database
from server.search.indexer import index_and_mark_ready, pending_ids
from server.search.service import SearchService
from server.settings import Settings

log = logging.getLogger(__name__)


class CatchUpIndexing(InitPluginProtocol):
    """Indexes the webinars left `index_pending`, at start-up and then periodically.

    Runs as a background task after the database and search lifespans (add it after the search
    plugin), so the site answers at once; a failed pass is logged once per outage and the
    webinars wait for the next pass.
    """

    def __init__(self) -> None:
        self.failing = False

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(self.lifespan)
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(self.run(app))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self, app: Litestar) -> None:
        settings: Settings = app.state.settings
        interval = settings.search.catch_up_seconds
        while True:
            await self.catch_up(app)
            if interval <= 0:
                return
            await asyncio.sleep(interval)

    async def catch_up(self, app: Litestar) -> int:
        """One pass: index every pending webinar; returns how many were marked ready."""
        service: SearchService = app.state.search
        if not service.available:  # no server configured or startable: nothing to catch up with
            return 0
        database: Database = app.state.database
        try:
            pending = await database.run(pending_ids)
            if not pending:
                return 0
            report = await index_and_mark_ready(service.index, database, pending)
        except Exception as exc:  # the site works without this; say why once and try again later
            level = logging.DEBUG if self.failing else logging.WARNING
            log.log(level, "could not index pending webinars (they stay pending): %s", exc)
            self.failing = True
            return 0
        self.failing = False
        log.info("indexed %d pending webinars (%d segments)", report.ready, report.documents)
        return report.ready
