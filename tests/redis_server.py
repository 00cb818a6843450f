"""A Redis of a test's own, which the test may crash and start again on the same port and data.

The shared Redis at TEST_REDIS_URL must never be restarted (other tests and other people use it),
so the queue fault tests run `redis-server` (Debian's `redis-server` package, installed by
scripts/setup_system.sh) on a free loopback port with its data in a temporary folder. The
append-only file is written on every command (`appendfsync always`), as a queue that must not
lose jobs should be configured, so a `kill -9` loses nothing that was acknowledged.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from server.search.process import free_port

REDIS_SERVER = Path(shutil.which("redis-server") or "/usr/bin/redis-server")
INSTALL_HINT = "run `make setup` (scripts/setup_system.sh installs Debian's redis-server)"


class RedisServer:
    """`redis-server` on 127.0.0.1 at a port fixed at creation, data in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> str:
        self.process = subprocess.Popen(
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return self.url
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.data_dir / "redis.log"
                raise RuntimeError(
                    f"redis-server did not start: {log.read_text()[-500:] if log.exists() else ''}"
                )
            time.sleep(0.05)

    def crash(self) -> None:
        """SIGKILL: no shutdown, no final save; only what the append-only file holds survives."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def lose_data(self) -> None:
        """After a crash: the data files gone, as when Redis runs without persistence."""
        assert self.process is None, "crash() first"
        for path in self.data_dir.rglob("*"):
            if path.is_file() and path.name != "redis.log":
                path.unlink()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
