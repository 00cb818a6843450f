"""A real Meilisearch for the tests, started from the binary `make setup` installs.

Independent of server/search/process.py on purpose: the process manager is itself under test,
and a fixture built on it would hide its bugs. Fixtures using this live in tests/conftest.py,
which skips (or, under CI=true, fails) their tests when the binary is missing (tests/binaries.py).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from server.search.process import MeiliConnection
from tests.binaries import MEILISEARCH


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_meilisearch(data_dir: Path, timeout: float = 30.0) -> Iterator[MeiliConnection]:
    """Start Meilisearch on a free port with its data in `data_dir`; stop it on exit."""
    if not MEILISEARCH.exists():
        raise RuntimeError(f"{MEILISEARCH} is missing: run `make setup` (scripts/install_meilisearch.sh)")
    key = secrets.token_urlsafe(24)
    port = _free_port()
    env = {**os.environ, "MEILI_MASTER_KEY": key}
    log = (data_dir / "meili.log").open("wb")
    process = subprocess.Popen(
        [
            str(MEILISEARCH),
            "--db-path",
            str(data_dir / "data.ms"),
            "--http-addr",
            f"127.0.0.1:{port}",
            "--env",
            "production",
            "--no-analytics",
            "--log-level",
            "WARN",
        ],
        cwd=data_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"meilisearch exited at start: {(data_dir / 'meili.log').read_text()[-500:]}"
                )
            try:
                if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"meilisearch not ready on {url} within {timeout} s")
            time.sleep(0.05)
        yield MeiliConnection(url, key)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def delete_index(connection: MeiliConnection, uid: str) -> None:
    """Best-effort removal of a test's index (Meilisearch deletes asynchronously)."""
    headers = {"Authorization": f"Bearer {connection.api_key}"}
    for name in (uid, f"{uid}_tmp", f"{uid}_webinars", f"{uid}_tmp_webinars"):
        httpx.delete(f"{connection.url}/indexes/{name}", headers=headers, timeout=5)
