"""The local Meilisearch's master key file: refused when other users can read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.search.process import LocalMeilisearch, MeiliProcessError


def test_world_readable_key_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "meili" / "master.key"
    key.parent.mkdir()
    key.write_text("a" * 40)
    key.chmod(0o644)
    with pytest.raises(MeiliProcessError, match="other users"):
        LocalMeilisearch(tmp_path).start()
