"""One exception handler for the whole app: an HTML page for people, problem details for programs.

Handlers raise (`ingest.errors` family, Litestar's HTTPException for its own validation); this
module decides the presentation once. Pages get `error.html` with the status and a way on;
`/api/...`, feeds, captions, media and clients that do not ask for HTML get RFC 9457
problem-details JSON. Server-side failures (5xx) are logged with their cause, so an outage is
never silent; a client's mistake (4xx) is not an error of ours and is logged at debug only.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import SQLAlchemyError

from ingest.errors import ArchiveError, UnauthorizedError
from server.problems import log_server_error, problem, retry_headers

log = logging.getLogger("server.web")

TITLES: Final = {
    400: "That request cannot be used",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "That clashes with what is stored",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    501: "Not offered",
    502: "A service behind the archive failed",
    503: "Temporarily unavailable",
    507: "Not enough storage",
}
HIDDEN_DETAIL: Final = "The server could not answer this request; the error has been logged."


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Whether the error goes to a person in a browser (else to a program, as JSON)."""
    path = request.url.path
    if path.startswith(("/api/", "/media/", "/static/", "/schema")) or path.endswith(
        (".vtt", ".srt", ".xml")
    ):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(status: int, title: str, message: str, **context: Any) -> Template:
    """An HTML error page; `context` may add links such as the webinar to play from the start."""
    return Template(
        template_name="error.html",
        context={"status": status, "title": title, "message": message, **context},
        status_code=status,
        media_type=MediaType.HTML,  # not the route's (a form's POST handler may say JSON)
    )


def respond(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[Any]:
    title = title or TITLES.get(status, "Error")
    if wants_html(request):
        page = error_page(status, title, detail, **context)
        if headers:
            page.headers.update(headers)
        return page
    return problem(status, title, detail, headers)


def handle_archive_error(request: Request[Any, Any, Any], exc: ArchiveError) -> Response[Any]:
    log_server_error(request, exc)
    return respond(request, exc.status, str(exc), title=exc.title, headers=retry_headers(exc), **exc.context)


def handle_unauthorized(request: Request[Any, Any, Any], exc: UnauthorizedError) -> Response[Any]:
    """Not signed in: a person gets the sign-in form (status 401) that returns to this page; a
    program gets problem details with `WWW-Authenticate: Bearer`."""
    if not wants_html(request):
        return handle_archive_error(request, exc)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = target if request.method == "GET" else "/staff"
    return Template(
        template_name="staff/sign_in.html",
        context={"message": str(exc), "next_path": next_path, "email": ""},
        status_code=401,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"},
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (validation 400s, 404 for unknown routes, 405), in the same shapes."""
    status = exc.status_code
    detail = exc.detail
    if status == 404 and detail in ("Not Found", ""):
        detail = "There is nothing at this address."
    extra = getattr(exc, "extra", None)
    if status == 400 and extra and isinstance(extra, list):
        reasons = "; ".join(
            f"{e.get('key', '')}: {e.get('message', '')}" for e in extra if isinstance(e, dict)
        )
        detail = f"{detail} ({reasons})" if reasons else detail
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, detail)
        if status == HTTP_500_INTERNAL_SERVER_ERROR:
            detail = HIDDEN_DETAIL
    return respond(request, status, detail, headers=dict(exc.headers or {}) or None)


def handle_database_error(request: Request[Any, Any, Any], exc: SQLAlchemyError) -> Response[Any]:
    """The catalogue failed (down, locked, a pool timeout): logged with its cause, a short 503."""
    log.error("%s %s: catalogue database error", request.method, request.url.path, exc_info=exc)
    return respond(
        request,
        503,
        f"The catalogue database is unavailable ({type(exc).__name__}). Please try again shortly.",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: logged with its traceback; the client learns only that it happened."""
    log.error("%s %s: unhandled error", request.method, request.url.path, exc_info=exc)
    return respond(request, 500, HIDDEN_DETAIL)


EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    ArchiveError: handle_archive_error,
    UnauthorizedError: handle_unauthorized,
    HTTPException: handle_http_exception,
    SQLAlchemyError: handle_database_error,
    Exception: handle_unexpected,
}
"""Registered once, by the app factory; Litestar picks the most specific class."""
