"""`GET /health`: whether the server can do its work now, for a load balancer and for people.

It runs one trivial query through the same thread pool as the pages, so a wedged or exhausted
catalogue shows here as a 503 within seconds, and reports the pool's state (connections in use,
requests waiting): after a burst of traffic both must return to zero, which the load tests check.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlmodel import Session

from server.catalog.db import Database


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


@get("/health", summary="Server health: database pool and search", tags=["health"], cache=False)
async def health(
    request: Request[Any, Any, State], db: NamedDependency[Database]
) -> Response[dict[str, Any]]:
    await db.run(_ping)  # a failure raises: the error handler answers 503 and logs the cause
    search_error = request.app.state.get("search_error")
    search = "ok" if request.app.state.get("search") is not None else f"unavailable: {search_error or 'off'}"
    return Response({"status": "ok", "database": db.pool_status(), "search": search})
