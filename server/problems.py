"""RFC 9457 problem details: how every JSON client of the archive learns what went wrong.

Here rather than in server/web because the search API's plugin answers with them too, and it
must not depend on the website (server/web adds the HTML pages on top: server/web/errors.py).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import msgspec
from litestar import HttpMethod, Litestar, Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

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


# --- the problems in the OpenAPI document ---------------------------------------------------


class Problem(msgspec.Struct, kw_only=True):
    """The body of every error answer, as the OpenAPI document describes it."""

    type: str
    title: str
    status: int
    detail: str
    """What went wrong and why, for a person: the parameter or field first."""
    status_code: int


_PROBLEMS: Final = {
    400: "The request cannot be used: `detail` names the parameter or field and why",
    401: "Not signed in: send `Authorization: Bearer <token>` (or a staff session cookie)",
    403: "Signed in without the role this needs, or a session's write without its CSRF token",
    404: "What the path names does not exist (or is not public)",
    409: "The change clashes with what is stored (a name in use, a stale edit, a job's state)",
    412: "Not a tus 1.0.0 request: send `Tus-Resumable: 1.0.0`",
    413: "The recording is larger than the archive accepts (`detail` gives the limit)",
    503: "The catalogue or the search index cannot answer now; retry after `Retry-After` seconds",
}
_WRITES: Final = frozenset(HttpMethod) - {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS}


def document_problems(app: Litestar) -> None:
    """Declare, on every operation of the OpenAPI document, the problems it may answer with.

    Litestar documents a handler's success and its parameter validation (a 400 said to be
    `application/json`); the archive's errors are problem details (`application/problem+json`)
    raised from deep inside (a guard, the catalogue, the search service), which no handler
    signature shows. Each operation gets 400 and 503; 401 and 403 when it has guards; 404 when
    its path names something (or it deletes); 409 when it writes; and the codes its handler
    lists in `opt={"problems": (...)}`. A response a handler declares itself wins.
    Called once the routes are registered and before the document is first built (it is built
    on its first request)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            codes = [400, 503]
            if handler.resolve_guards():
                codes += [401, 403]
            if route.path_parameters or HttpMethod.DELETE in handler.http_methods:
                codes.append(404)
            if set(handler.http_methods) & _WRITES:
                codes.append(409)
            codes += handler.opt.get("problems", ())
            specs = {
                code: ResponseSpec(
                    Problem, description=_PROBLEMS[code], media_type=PROBLEM_JSON, generate_examples=False
                )
                for code in sorted(set(codes))
            }
            handler.responses = {**specs, **(handler.responses or {})}
