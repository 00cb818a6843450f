"""A small, real file system for the disk-full tests: a tmpfs of a few megabytes mounted on a
folder of the test's own (`mount -t tmpfs -o size=...`), filled to the last few kilobytes with a
file the test can delete to "free space".

Mounting needs root (the tests run as root here and in CI). Where mounting is not permitted the
test is skipped with the reason, or failed under CI=true, as tests/binaries.py does for missing
programs. Writes past the size fail with ENOSPC, exactly as on a full disk.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.binaries import in_ci


@contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Path]:
    """`folder` as the mount point of a tmpfs of `size`; unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a {size} tmpfs for the disk-full test ({mounted.stderr.strip()}): needs root"
        if in_ci():
            pytest.fail(f"{reason} (CI=true)", pytrace=False)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def fill(folder: Path, leave: int) -> Path:
    """A file taking all of `folder`'s file system but about `leave` bytes; delete it to free them."""
    filler = folder / "filler.bin"
    with filler.open("wb") as out:
        out.write(b"\xff" * max(0, free_bytes(folder) - leave))
    return filler
