"""How `webinar-archive serve` runs the app under uvicorn: limits on connections, and workers.

uvicorn's defaults trust the client: a 64 MB header is read into memory, and a connection that
never finishes its headers (or sends one byte every few seconds) is kept for ever, so a few
hundred idle or slow sockets use the server up. `GuardedHttpProtocol` adds the two limits a
public server needs: headers (request line included) over `MAX_HEADER_BYTES` get
`431 Request Header Fields Too Large` and the connection is closed, and a request whose headers
are not complete within `HEADER_TIMEOUT` seconds of the connection opening (or of the previous
response) is dropped. Idle kept-alive connections are closed by uvicorn's keep-alive timeout.

With several workers, uvicorn imports the app in each process: `app_from_env` builds it from the
environment there. The local Meilisearch (when `MEILI_URL` is unset) is started once by the
parent, which hands its address and key to the workers as `MEILI_URL` and `MEILI_MASTER_KEY` and
stops it when it exits (it also dies with the parent on `kill -9`). A worker never starts one of
its own, even when the parent could not (then the parent passes the reason in `SEARCH_OFF_ENV`
and search answers 503 with it): uvicorn restarts a worker that dies, and a worker that owned
the server would take search away from the others when it went. The parent also migrated the
catalogue before forking, so the workers do not.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
from typing import Any, Final

from litestar import Litestar
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES: Final = 32 * 1024
"""Request line and headers together; browsers send 1-8 KB (nginx's default buffers: 4 x 8 KB)."""
HEADER_TIMEOUT: Final = 10.0
"""Seconds a client has to send a complete request line and headers."""
KEEP_ALIVE_TIMEOUT: Final = 5
"""Seconds an idle kept-alive connection stays open between requests (uvicorn's default)."""
GRACEFUL_SHUTDOWN: Final = 5
"""Seconds SIGTERM waits for requests in flight before cancelling them and exiting."""
LIMIT_CONCURRENCY: Final = 1000
"""Connections and tasks per worker beyond which uvicorn answers 503 at once instead of queueing."""
SEARCH_OFF_ENV: Final = "ARCHIVE_SERVE_SEARCH_OFF"
"""Set by `serve` for its workers when the local Meilisearch could not be started: the reason."""

_TOO_LARGE: Final = b"Request headers too large."


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header size limit and a header deadline."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._too_large = False
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._header_deadline)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._too_large = True
            raise ValueError("request headers too large")  # the parser stops; see send_400_response

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request on this connection gets the same deadline (uvicorn's keep-alive timer
        # stops at its first byte, so it alone would let a slow client trickle headers).
        self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: "
            + str(len(_TOO_LARGE)).encode()
            + b"\r\nconnection: close\r\n\r\n"
            + _TOO_LARGE
        )
        self.transport.close()


def configure_logging() -> None:
    """Warnings and errors from the archive's own loggers on standard error, with time and origin
    (uvicorn configures only its own loggers; without this an error's cause would be unformatted)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The Meilisearch client (httpx2/httpcore2) logs every request at INFO: a line per search
    # under load, on the event loop, for nothing a person reads.
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Huey logs the reaper's periodic task twice a minute at INFO ("Executing ... reap_jobs"); the
    # worker's own lines (server.jobs) say what a job did, so Huey keeps its warnings only.
    for chatty in ("huey", "huey.consumer", "huey.consumer.Scheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # `kill -USR1 <pid>` prints every thread's stack on standard error and the process goes on:
    # how to see where a server or worker that does not stop (or answer) is waiting.
    faulthandler.register(signal.SIGUSR1, all_threads=True)


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings every `serve` uses, one worker or many."""
    return {
        "http": GuardedHttpProtocol,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
        "limit_concurrency": LIMIT_CONCURRENCY,
        "log_level": "info",
        "access_log": False,
    }


def app_from_env() -> Litestar:
    """The app for one worker process, from the environment the parent (`serve`) prepared: the
    catalogue already migrated, Meilisearch at `MEILI_URL` or none (never one of its own)."""
    from server.app import create_app
    from server.search.api import SearchPlugin
    from server.settings import Settings

    configure_logging()
    settings = Settings.from_env()
    reason = os.environ.get(SEARCH_OFF_ENV) or (
        "no search server: MEILI_URL is not set and `webinar-archive serve` did not start a local one"
    )
    search = SearchPlugin(settings, no_local=reason)
    return create_app(settings, migrate=False, search=False, plugins=[search])
