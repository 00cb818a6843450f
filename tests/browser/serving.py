"""An app served by uvicorn in a thread on a free port, for the browser tests (Chromium needs a
real server; the app runs in the test's process so fixtures can read its catalogue)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from litestar import Litestar

from server.search.process import free_port


@contextmanager
def serve_app(app: Litestar, timeout: float = 30.0, **options: Any) -> Iterator[str]:
    """The app's base URL (`http://127.0.0.1:<port>`) while the block runs; stopped after it.

    `options` go to uvicorn's Config (`**server.serving.uvicorn_options()`: as `serve` runs it)."""
    port = free_port()
    config = {"log_level": "warning", **options, "lifespan": "on"}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
