"""GET and HEAD for every page, feed and caption file: `page_route` declares both, and
`strip_head_body` makes sure a HEAD response carries the headers of the GET and no body.

Link checkers, feed readers and crawlers ask `HEAD` before they fetch; Litestar answers 405 to
HEAD on a `@get` route (while routing, before any middleware or handler runs), so the route
itself must accept both methods. Litestar's own `head` decorator refuses handlers that return a
body, and a second handler per page would duplicate every controller, so the one handler runs
for both: it builds the same response (status, content type, length, cache headers), and the
app's `before_send` hook empties the body of a HEAD response. ASGI servers drop it too, but not
every server or test client is obliged to, and the app is where the guarantee belongs.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import HttpMethod, route
from litestar.handlers import HTTPRouteHandler
from litestar.types import Message, Scope

PAGE_METHODS: Final = [HttpMethod.GET, HttpMethod.HEAD]


def page_route(path: str, *, name: str, **kwargs: Any) -> HTTPRouteHandler:
    """`@get(path, name=...)` that also answers HEAD (use it for every page, feed and file)."""
    return route(path, http_method=PAGE_METHODS, name=name, **kwargs)


async def strip_head_body(message: Message, scope: Scope) -> None:
    """`before_send` hook: a HEAD response keeps its status and headers (Content-Length is the
    GET's, as RFC 9110 allows) and sends no body bytes."""
    if message["type"] == "http.response.body" and scope.get("method") == "HEAD":
        message["body"] = b""
