"""A real Meilisearch for the tests, started from the binary `make setup` installs.

Independent of server/search/process.py on purpose: the process manager is itself under test,
and a fixture built on it would hide its bugs. Fixtures using this live in tests/conftest.py,
which skips (or, under CI=true, fails) their tests when the binary is missing (tests/binaries.py).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from server.search.process import MeiliConnection, free_port
from tests.binaries import MEILISEARCH


class MeiliServer:
    """One Meilisearch process with its data in `data_dir`, on a port fixed at creation, so a
    test can stop it (or freeze it) and start it again at the same address with the same data,
    as an operator's restart looks to the archive."""

    def __init__(self, data_dir: Path) -> None:
        if not MEILISEARCH.exists():
            raise RuntimeError(f"{MEILISEARCH} is missing: run `make setup` (scripts/install_meilisearch.sh)")
        self.data_dir = data_dir
        self.port = free_port()
        self.connection = MeiliConnection(f"http://127.0.0.1:{self.port}", secrets.token_urlsafe(24))
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MeiliConnection:
        """Start the server and wait until it answers its health check."""
        if self.process is not None and self.process.poll() is None:
            return self.connection
        self._log = (self.data_dir / "meili.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(MEILISEARCH),
                "--db-path",
                str(self.data_dir / "data.ms"),
                "--http-addr",
                f"127.0.0.1:{self.port}",
                "--env",
                "production",
                "--no-analytics",
                "--log-level",
                "WARN",
            ],
            cwd=self.data_dir,
            env={**os.environ, "MEILI_MASTER_KEY": self.connection.api_key or ""},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"meilisearch exited at start: {(self.data_dir / 'meili.log').read_text()[-500:]}"
                )
            try:
                if httpx.get(f"{self.connection.url}/health", timeout=0.5).status_code == 200:
                    return self.connection
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"meilisearch not ready on {self.connection.url} within {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); its data stays for a restart."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def freeze(self) -> None:
        """SIGSTOP: the port stays open and requests hang, as on an overloaded or stuck host."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def running_meilisearch(data_dir: Path, timeout: float = 30.0) -> Iterator[MeiliConnection]:
    """Start Meilisearch on a free port with its data in `data_dir`; stop it on exit."""
    server = MeiliServer(data_dir)
    try:
        yield server.start(timeout)
    finally:
        server.stop()


def delete_index(connection: MeiliConnection, uid: str) -> None:
    """Best-effort removal of a test's index (Meilisearch deletes asynchronously)."""
    headers = {"Authorization": f"Bearer {connection.api_key}"}
    for name in (uid, f"{uid}_tmp", f"{uid}_webinars", f"{uid}_tmp_webinars"):
        httpx.delete(f"{connection.url}/indexes/{name}", headers=headers, timeout=5)
