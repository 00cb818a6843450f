"""Where the Meilisearch server comes from: `MEILI_URL`, or a local one this process starts.

So that search needs no service set up by hand: with `MEILI_URL` unset, the commands that need
the index start a local Meilisearch with its data under `ARCHIVE_DATA_DIR/meili`, bound to
127.0.0.1, protected by a generated master key that only the owner can read, and reuse one
already running for the same data folder; they stop only what they started. With `MEILI_URL`
(and `MEILI_MASTER_KEY`) set, that server is used as is.

Layout of `ARCHIVE_DATA_DIR/meili/`:

- `master.key`  the generated key (mode 0600, created with that mode), reused across restarts so
  the data written under one key stays readable: a key per process would lock us out of our own
  index after a restart.
- `server.json` pid and port of the running server, so a second command (say `reindex` while
  `serve` runs) reuses it instead of failing on Meilisearch's database lock.
- `lock`        an flock taken while deciding whether to start one, so two commands started at the
  same moment do not both start a server.
- `data.ms/`, `dumps/`, `snapshots/`  Meilisearch's own folders.

The server's output goes to `ARCHIVE_DATA_DIR/logs/meilisearch.log`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ingest.errors import UnavailableError
from server import keyfile
from server.settings import Settings

KEY_FILE = "master.key"
STATE_FILE = "server.json"
LOCK_FILE = "lock"
LOG_FILE = "meilisearch.log"
DEFAULT_READY_TIMEOUT = 30.0


class MeiliProcessError(UnavailableError):
    """The local Meilisearch could not be found, started or reached; the message says why."""


@dataclass(frozen=True)
class MeiliConnection:
    """How to reach a Meilisearch server: what the clients need, nothing about who runs it."""

    url: str
    api_key: str | None

    def __repr__(self) -> str:  # never print the key into logs or tracebacks
        return f"MeiliConnection(url={self.url!r}, api_key={'***' if self.api_key else None})"


def find_binary() -> Path:
    """The Meilisearch binary: the one `make setup` put beside this interpreter, else PATH.

    The virtualenv's copy comes first because its version and checksum are pinned by
    scripts/install_meilisearch.sh; a system one on PATH is a fallback for other set-ups.
    """
    beside = Path(sys.prefix) / "bin" / "meilisearch"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("meilisearch")
    if found:
        return Path(found)
    raise MeiliProcessError(
        "the meilisearch binary is not installed: run `make setup`, or set MEILI_URL and "
        "MEILI_MASTER_KEY to use an existing server"
    )


def read_or_create_key(path: Path) -> str:
    """The master key kept at `path`, generated on first use (server/keyfile.py)."""
    return keyfile.read_or_create_key(path, nbytes=32, min_length=16, error=MeiliProcessError)


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the kernel picks it; a race is retried by the caller)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies of our own children count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that has Linux send the server SIGTERM when its parent dies (PDEATHSIG).

    The signal goes when the *thread* that started the child ends, so this is only used from the
    main thread, whose end is the process's. Elsewhere (other systems, another thread) the state
    file's owner pid covers the crash case: the next start stops an orphan it finds.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return hook


def server_answers(connection: MeiliConnection, timeout: float = 1.0) -> bool:
    """Whether the server is healthy AND accepts our key.

    /health alone answers for any Meilisearch; asking /version with the key proves it is the one
    holding our data (a stranger that took over the port would answer 401/403).
    """
    headers = {"Authorization": f"Bearer {connection.api_key}"} if connection.api_key else {}
    try:
        with httpx.Client(base_url=connection.url, timeout=timeout, headers=headers) as client:
            health = client.get("/health")
            if health.status_code != 200 or health.json().get("status") != "available":
                return False
            return client.get("/version").status_code == 200
    except (httpx.HTTPError, ValueError):
        return False


class LocalMeilisearch:
    """A Meilisearch server owned by one data folder: found running, or started and stopped."""

    def __init__(
        self,
        data_dir: Path,
        *,
        binary: Path | None = None,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        log_level: str = "WARN",
    ) -> None:
        """`log_level` defaults to WARN: at INFO Meilisearch logs every request, which fills the
        log and costs time under load; start-up problems and errors are still written."""
        self.data_dir = data_dir
        self.home = data_dir / "meili"
        self.log_path = data_dir / "logs" / LOG_FILE
        self.binary = binary
        self.ready_timeout = ready_timeout
        self.log_level = log_level
        self.process: subprocess.Popen[bytes] | None = None
        self.connection: MeiliConnection | None = None

    @property
    def key_path(self) -> Path:
        return self.home / KEY_FILE

    @property
    def state_path(self) -> Path:
        return self.home / STATE_FILE

    @property
    def started_here(self) -> bool:
        """Whether this object started the server it holds (and so must stop it)."""
        return self.process is not None

    def running(self) -> MeiliConnection | None:
        """The server recorded in the state file, when its pid lives and it answers with our key."""
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not pid_alive(pid):
            return None
        owner = state.get("owner")
        if isinstance(owner, int) and owner != os.getpid() and not pid_alive(owner):
            # Its owner died without stopping it (kill -9, a crash): an orphan nobody will stop.
            # Stop it now and start a fresh one that this process owns.
            self._stop_orphan(pid)
            return None
        connection = MeiliConnection(f"http://127.0.0.1:{port}", read_or_create_key(self.key_path))
        return connection if server_answers(connection) else None

    def _stop_orphan(self, pid: int, timeout: float = 10.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.state_path.unlink()

    def start(self) -> MeiliConnection:
        """Reuse the server already running for this data folder, or start one and wait for it."""
        if self.connection is not None:
            return self.connection
        self.home.mkdir(parents=True, exist_ok=True)
        with self._lock():
            found = self.running()
            if found is not None:
                self.connection = found
                return found
            key = read_or_create_key(self.key_path)
            binary = self.binary or find_binary()
            last_error: MeiliProcessError | None = None
            for _ in range(3):  # another program may grab the free port before Meilisearch binds it
                port = free_port()
                try:
                    self.connection = self._spawn(binary, port, key)
                    return self.connection
                except MeiliProcessError as exc:
                    last_error = exc
                    if "Address already in use" not in str(exc):
                        break
            assert last_error is not None
            raise last_error

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server if this object started it; a reused server is left running."""
        process, self.process = self.process, None
        self.connection = None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        with self._lock():
            try:
                state = json.loads(self.state_path.read_text(encoding="utf-8"))
                if int(state.get("pid", -1)) == process.pid:
                    self.state_path.unlink()
            except (OSError, ValueError):
                pass

    def _spawn(self, binary: Path, port: int, key: str) -> MeiliConnection:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        args = [
            str(binary),
            "--db-path",
            str(self.home / "data.ms"),
            "--dump-dir",
            str(self.home / "dumps"),
            "--snapshot-dir",
            str(self.home / "snapshots"),
            "--http-addr",
            f"127.0.0.1:{port}",
            "--env",
            "production",  # production: the key is required and the web dashboard is off
            "--no-analytics",
            "--log-level",
            self.log_level,
        ]
        # The key goes through the environment, not argv, so `ps` does not show it to other users.
        env = {**os.environ, "MEILI_MASTER_KEY": key}
        for name in ("MEILI_HTTP_ADDR", "MEILI_DB_PATH", "MEILI_ENV", "MEILI_CONFIG_FILE_PATH"):
            env.pop(name, None)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- starting {' '.join(args)}\n".encode())
            log.flush()
            # A session of its own: Ctrl-C in the terminal reaches us, and we stop the server in
            # order (after the web app), instead of it dying under requests still in flight.
            on_main_thread = threading.current_thread() is threading.main_thread()
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.home,
                start_new_session=True,
                preexec_fn=_die_with_parent() if on_main_thread else None,
            )
        connection = MeiliConnection(f"http://127.0.0.1:{port}", key)
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if process.poll() is not None:
                raise MeiliProcessError(
                    f"meilisearch exited with status {process.returncode} while starting: "
                    f"{self._log_tail()} (log: {self.log_path})"
                )
            if server_answers(connection, timeout=0.5):
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait(5)
                raise MeiliProcessError(
                    f"meilisearch did not become ready on port {port} within {self.ready_timeout:.0f} s "
                    f"(log: {self.log_path})"
                )
            time.sleep(0.05)
        self.process = process
        tmp = self.state_path.with_suffix(".part")
        state = {"pid": process.pid, "port": port, "owner": os.getpid()}
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.state_path)
        return connection

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "no log"
        tail = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("---")]
        return " | ".join(tail[-lines:]) or "no output"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / LOCK_FILE).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def meilisearch(
    settings: Settings, *, ready_timeout: float = DEFAULT_READY_TIMEOUT
) -> Iterator[MeiliConnection]:
    """The server to use for the duration of a command, per the settings.

    `MEILI_URL` set: that server, with `MEILI_MASTER_KEY`, nothing started or stopped. Unset: the
    local server for `ARCHIVE_DATA_DIR`, reused if running, else started here and stopped on exit.
    """
    if settings.search.meili_url:
        yield MeiliConnection(settings.search.meili_url.rstrip("/"), settings.search.meili_master_key)
        return
    local = LocalMeilisearch(settings.storage.data_dir, ready_timeout=ready_timeout)
    connection = local.start()
    try:
        yield connection
    finally:
        local.stop()
