"""`GET /health`: whether the server can do its work now, for a load balancer and for people.

It runs one trivial query through the same thread pool as the pages, so a wedged or exhausted
catalogue shows here as a 503 within seconds, and reports the pool's state (connections in use,
requests waiting): after a burst of traffic both must return to zero, which the load tests check.
It also asks Meilisearch (one second at most): `search` is `ok` or `unavailable: <why>`, and
`status` is `degraded` while search is down (still a 200: everything else works without it).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlmodel import Session

from server.catalog.db import Database
from server.search.service import SearchService


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


@get("/health", summary="Server health: database pool and search", tags=["health"], cache=False)
async def health(
    db: NamedDependency[Database], search: NamedDependency[SearchService]
) -> Response[dict[str, Any]]:
    await db.run(_ping)  # a failure raises: the error handler answers 503 and logs the cause
    # Meilisearch asked now, not remembered from start-up: search stops and comes back while the
    # site runs. Its absence is "degraded", not a 503: pages and the API still answer without it.
    problem = await search.check()
    search_state = "ok" if problem is None else f"unavailable: {problem}"
    return Response(
        {
            "status": "ok" if problem is None else "degraded",
            "database": db.pool_status(),
            "search": search_state,
        }
    )
