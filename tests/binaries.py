"""The programs some tests need beside the Python packages, and what happens when one is missing.

`make setup` installs both: Meilisearch into .venv/bin (scripts/install_meilisearch.sh) and
Debian's Chromium (scripts/setup_system.sh). Tests marked `meili` need the first, tests marked
`browser` the second (tests/conftest.py checks before each such test). A missing one skips the
test with the reason on a developer's machine, and fails it under `CI=true`, so CI cannot go
green without having run them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

MEILISEARCH = Path(sys.prefix) / "bin" / "meilisearch"
CHROMIUM = Path("/usr/bin/chromium")

# marker -> the program its tests need, and how to get it
PROGRAMS = {
    "meili": (MEILISEARCH, "run `make setup` (scripts/install_meilisearch.sh installs it)"),
    "browser": (CHROMIUM, "run `make setup` (scripts/setup_system.sh installs it)"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def require_binary(path: Path, install_hint: str) -> None:
    """Skip the running test when `path` is missing (fail it under CI=true), with the reason."""
    if path.exists():
        return
    reason = f"{path} is missing: {install_hint}"
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing program fails the run)", pytrace=False)
    pytest.skip(reason)
