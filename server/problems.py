"""RFC 9457 problem details: how every JSON client of the archive learns what went wrong.

Here rather than in server/web because the search API's plugin answers with them too, and it
must not depend on the website (server/web adds the HTML pages on top: server/web/errors.py).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from litestar import Request, Response

from ingest.errors import ArchiveError, RateLimitedError, UnauthorizedError, UnavailableError

log = logging.getLogger("server")

PROBLEM_JSON: Final = "application/problem+json"


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response[Any]:
    """A problem-details answer; `status_code` repeats `status` for clients of the older shape."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "status_code": status}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def retry_headers(exc: ArchiveError) -> dict[str, str] | None:
    """`Retry-After` for the errors that say when to come back (unavailable, rate limited), and
    `WWW-Authenticate` for a 401, as RFC 9110 asks (the API takes `Authorization: Bearer`)."""
    if isinstance(exc, UnavailableError | RateLimitedError):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, UnauthorizedError):
        return {"WWW-Authenticate": 'Bearer realm="webinar-archive"'}
    return None


def log_server_error(request: Request[Any, Any, Any], exc: ArchiveError) -> None:
    """A 5xx is ours to fix or to watch: logged with the request and the cause."""
    if exc.status >= 500:
        log.error("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)


def archive_problem(request: Request[Any, Any, Any], exc: ArchiveError) -> Response[Any]:
    """The JSON-only handler for the archive's errors (an app without the website uses it)."""
    log_server_error(request, exc)
    return problem(exc.status, exc.title, str(exc), retry_headers(exc))
