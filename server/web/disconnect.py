"""Stop working for a client that has gone: cancel a GET or HEAD request when its client hangs up.

An ASGI server tells an app that the client went away only through `receive()`, which a handler
that never reads a body never calls, so on its own it would go on querying and rendering for
nobody: under load, the work of clients that gave up (a closed tab, a proxy timeout) crowds out
the clients still waiting. This middleware reads `receive()` for the app while the request runs
and cancels the request's task the moment `http.disconnect` arrives; work still queued for the
catalogue's threads is dropped with it (see `server.catalog.db.Database`).

Only bodiless methods are watched: the app gets the (empty) body at once, and later calls to
`receive()` wait for the disconnect, as the ASGI spec describes. A request with a body (an
upload) is passed through untouched, since its handler reads `receive()` itself.
"""

from __future__ import annotations

import anyio
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPDisconnectEvent, HTTPRequestEvent

WATCHED_METHODS = frozenset({"GET", "HEAD"})


def cancel_on_disconnect(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") not in WATCHED_METHODS:  # websockets and lifespan carry no method
            await app(scope, receive, send)
            return
        disconnected = anyio.Event()
        body_sent = False

        async def app_receive() -> ReceiveMessage:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return HTTPRequestEvent(type="http.request", body=b"", more_body=False)
            await disconnected.wait()
            return HTTPDisconnectEvent(type="http.disconnect")

        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        disconnected.set()
                        group.cancel_scope.cancel()
                        return

            group.start_soon(watch)
            await app(scope, app_receive, send)
            group.cancel_scope.cancel()

    return middleware
