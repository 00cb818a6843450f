"""CPU time of the processes behind a load run, from /proc: which of them used the cores.

A load benchmark on a small machine has to say what ran out first. Latency alone cannot tell a
web worker that is busy computing from one waiting on Meilisearch or the database; the CPU
seconds each process used during a phase can. `CpuMeter` reads `utime + stime` of a set of
processes (grouped under names such as "web workers" or "meilisearch") before and after a
phase; `share()` gives each group's use in cores (1.0 = one core busy for the whole phase).
Linux only, no third-party package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of `pid` so far (None when it is gone)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (a process tree such as uvicorn's parent and its workers)."""
    by_parent: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        by_parent.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def matching(predicate: Callable[[str], bool]) -> list[int]:
    """Processes whose command line satisfies `predicate` (e.g. every PostgreSQL backend)."""
    return [int(e.name) for e in PROC.iterdir() if e.name.isdigit() and predicate(command_line(int(e.name)))]


def set_niceness(pids: Iterable[int], niceness: int) -> int:
    """Give every thread of `pids` this niceness (negative: ahead of other work); returns how many.

    Linux keeps a niceness per thread, so each thread in /proc/PID/task is set; threads started
    later inherit it from the thread that starts them. With autogroup scheduling (the default on
    desktop and many server kernels) a niceness only ranks threads within their session, and
    every session gets an equal share of the cores: the session's own niceness
    (/proc/PID/autogroup) is set too, or twenty busy sessions of other people would still leave
    the measured processes a twentieth of the machine.
    """
    done = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            (PROC / str(pid) / "autogroup").write_text(str(niceness))
        try:
            threads = [int(t.name) for t in (PROC / str(pid) / "task").iterdir()]
        except OSError:
            continue
        for tid in threads:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
                done += 1
            except OSError:
                pass
    return done


def total_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores; not idle or waiting on I/O)."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS


@dataclass
class CpuMeter:
    """CPU seconds per group of processes between `start()` and `stop()`."""

    groups: Mapping[str, Callable[[], Iterable[int]]]
    """Group name -> a function listing its processes now (listed again at each reading)."""
    _before: dict[str, dict[int, float]] = field(default_factory=dict)
    _machine_before: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    machine: float = 0.0

    def _read(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, pids in self.groups.items():
            readings = {pid: cpu_seconds(pid) for pid in pids()}
            out[name] = {pid: value for pid, value in readings.items() if value is not None}
        return out

    def start(self) -> None:
        self._before = self._read()
        self._machine_before = total_cpu_seconds()

    def stop(self) -> None:
        after = self._read()
        self.machine = total_cpu_seconds() - self._machine_before
        self.used = {
            # A process that started during the phase counts from zero.
            name: sum(value - self._before.get(name, {}).get(pid, 0.0) for pid, value in readings.items())
            for name, readings in after.items()
        }

    def share(self, wall: float) -> dict[str, float]:
        """Each group's CPU in cores over `wall` seconds, plus the machine's ("all processes")."""
        shares = {name: used / wall for name, used in self.used.items()}
        shares["all processes"] = self.machine / wall
        return shares
