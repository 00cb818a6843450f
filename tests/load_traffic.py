"""Concurrent traffic against a real server on loopback: shared by the load tests and bench/load.py.

A busy day is many readers at once, some of whom give up mid-request (a closed tab, a phone going
into a tunnel). `drive` runs `clients` concurrent clients for a bounded time or a bounded number
of requests, each cycling through the target URLs; a fraction of the requests are sent on a raw
socket that is closed before the answer arrives, which is what a client that goes away looks like
to the server. Only loopback addresses are accepted: this is a test tool, never a load generator
for somebody else's machine.

`serve` starts `webinar-archive serve` in a process of its own (the server under test does not
share the client's interpreter or event loop) and waits until it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from server.search.process import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """One kind of request the mix sends: a name for the report, a path, headers.

    A write (`method` other than GET) sends the JSON that `json` makes from the client's random
    generator, so repeated edits of one segment each change something.
    """

    name: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    json: Callable[[random.Random], object] | None = None


@dataclass(frozen=True)
class Outcome:
    target: str
    seconds: float
    status: int | None
    """None when the request failed without an answer (timeout, reset)."""
    aborted: bool = False
    """Sent by a client that hung up on purpose: no answer was expected."""

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400


@dataclass
class Report:
    """What a run measured; `table()` prints it per target."""

    outcomes: list[Outcome]
    wall: float

    def of(self, target: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.target == target and not o.aborted]

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.aborted]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.answered if not o.ok]

    def table(self) -> str:
        header = ("endpoint", "req", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
        lines = ["{:<14} {:>6} {:>8} {:>8} {:>8} {:>9} {:>7}".format(*header)]
        names = sorted({o.target for o in self.answered})
        for name in [*names, "all"]:
            rows = self.answered if name == "all" else self.of(name)
            if not rows:
                continue
            times = sorted(o.seconds * 1000 for o in rows)
            errors = sum(not o.ok for o in rows)
            lines.append(
                f"{name:<14} {len(rows):>6} {len(rows) / self.wall:>8.1f} {percentile(times, 50):>8.1f} "
                f"{percentile(times, 95):>8.1f} {percentile(times, 99):>9.1f} {errors:>7}"
            )
        kinds = sorted({(o.target, o.status) for o in self.errors}, key=lambda k: (k[0], k[1] or 0))
        if kinds:
            counts = [
                f"{target} {sum(1 for o in self.errors if (o.target, o.status) == (target, status))}"
                f" x {status or 'no answer (timeout or reset)'}"
                for target, status in kinds
            ]
            lines.append("errors: " + "; ".join(counts))
        aborted = sum(o.aborted for o in self.outcomes)
        if aborted:
            lines.append(f"(and {aborted} requests whose client hung up before the answer)")
        return "\n".join(lines)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The `pct` percentile by the nearest-rank method (no interpolation between samples)."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def check_loopback(base_url: str) -> tuple[str, int]:
    """Host and port of `base_url`, refusing anything that is not this machine."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    address = "127.0.0.1" if host == "localhost" else host
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{base_url}: load is only ever sent to a loopback address")
    return address, parts.port or 80


async def _hang_up(host: str, port: int, target: Target, rng: random.Random) -> Outcome:
    """Send a request on a raw socket and close it after a few milliseconds, unanswered or not."""
    started = time.perf_counter()
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        headers = "".join(f"{k}: {v}\r\n" for k, v in target.headers.items())
        writer.write(f"GET {target.path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())
        await writer.drain()
        await asyncio.sleep(rng.uniform(0.001, 0.05))
        writer.transport.abort()  # a reset, as when a browser tab is closed
    return Outcome(target.name, time.perf_counter() - started, None, aborted=True)


async def drive(
    base_url: str,
    targets: Sequence[Target],
    *,
    clients: int,
    seconds: float | None = None,
    requests: int | None = None,
    hang_up_fraction: float = 0.0,
    timeout: float = 10.0,
    think: float = 0.0,
    seed: int = 7,
) -> Report:
    """Run `clients` concurrent clients until `seconds` pass or `requests` were sent (one is needed).

    Every client keeps one connection alive (as a browser does) and goes through the targets from
    a random starting point, so each endpoint gets its share at every moment of the run. With
    `think` > 0 a client pauses between requests (uniformly 0.5 to 1.5 times `think` seconds), as
    a reader does; with 0 it sends the next request at once (a stress test, not a day's traffic).
    """
    if seconds is None and requests is None:
        raise ValueError("bound the run: give seconds or requests")
    host, port = check_loopback(base_url)
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + seconds if seconds is not None else float("inf")
    budget = [requests if requests is not None else sys.maxsize]

    async def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        position = rng.randrange(len(targets))
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as http:
            if think > 0:  # readers arrive over a moment, not all in the same millisecond
                await asyncio.sleep(rng.uniform(0, think))
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                target = targets[position % len(targets)]
                position += 1
                if target.method == "GET" and rng.random() < hang_up_fraction:
                    outcomes.append(await _hang_up(host, port, target, rng))
                    continue
                started = time.perf_counter()
                try:
                    body = target.json(rng) if target.json is not None else None
                    response = await http.request(
                        target.method, target.path, headers=dict(target.headers), json=body
                    )
                    await response.aread()
                    status: int | None = response.status_code
                except httpx.HTTPError:
                    status = None
                outcomes.append(Outcome(target.name, time.perf_counter() - started, status))
                if think > 0:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return Report(outcomes, time.perf_counter() - started)


def time_to_answer(url: str, *, within: float = 1.0, give_up: float = 60.0) -> float:
    """Seconds until `url` answers 200 within `within` seconds, polled; raises after `give_up`."""
    check_loopback(url)
    started = time.monotonic()
    while True:
        try:
            response = httpx.get(url, timeout=within, headers={"accept": "text/html"})
            if response.status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        if time.monotonic() - started > give_up:
            raise TimeoutError(f"{url} did not answer within {within} s for {give_up} s")
        time.sleep(0.1)


@contextlib.contextmanager
def serve(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    cwd: Path = ROOT,
    args: Sequence[str] = (),
    log: Path | None = None,
    ready_timeout: float = 60.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`webinar-archive serve` from the checkout at `cwd`, with `env` added; yields (base URL, process).

    Stopped with SIGTERM at the end (then killed if it does not go within 10 s). The server's
    output goes to `log` (or is discarded), so a test can show it when something fails.
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from server.cli import main; sys.exit(main())",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode} while starting")
            try:
                if httpx.get(base_url + "/", timeout=1.0).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer on {base_url} within {ready_timeout:.0f} s")
            time.sleep(0.1)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if log is not None and not isinstance(out, int):
            out.close()
