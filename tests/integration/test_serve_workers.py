"""`webinar-archive serve --workers N` with no MEILI_URL: one local Meilisearch for all workers.

The parent starts the local Meilisearch and hands it to its workers; uvicorn restarts a worker
that dies. A worker must never own the server: the first worker to go would take search away
from the others. These run the real command, the real Meilisearch and a SQLite catalogue.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.search.index import INDEX_UID
from server.search.process import LocalMeilisearch, pid_alive
from server.serving import SEARCH_OFF_ENV, app_from_env
from tests.factories import make_manifest, make_transcript
from tests.load_traffic import serve
from tests.site_data import settings_for, store_and_index


def _children(pid: int) -> dict[int, str]:
    """The live child processes of `pid` and their command lines (from /proc)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def _web_workers(pid: int) -> set[int]:
    return {child for child, cmdline in _children(pid).items() if "spawn_main" in cmdline}


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _searches_find(base_url: str, slug: str, times: int) -> bool:
    """`times` searches in a row, each answered with the webinar's moment first."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        answers = [client.get("/api/search", params={"q": "refurbished furniture"}) for _ in range(times)]
    return all(
        a.status_code == 200 and [h["webinar"]["slug"] for h in a.json()["hits"]][:1] == [slug]
        for a in answers
    )


@pytest.mark.meili
def test_a_killed_worker_leaves_search_to_the_others_and_meilisearch_ends_with_serve(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    # Indexed beforehand into the data folder's own Meilisearch (started here, then stopped), so
    # search answers as soon as serve has started that server again.
    local = LocalMeilisearch(settings.storage.data_dir)
    try:
        slug = store_and_index(
            settings,
            make_transcript(),
            make_manifest(),
            "talk.opus",
            connection=local.start(),
            index_uid=INDEX_UID,
        )
    finally:
        local.stop()
    env = {
        "ARCHIVE_DATA_DIR": str(settings.storage.data_dir),
        "ARCHIVE_MEDIA_DIR": str(settings.storage.media_dir),
        "DATABASE_URL": "",
        "MEILI_URL": "",  # the local one, started by serve
        "MEILI_MASTER_KEY": "",
    }
    state = settings.storage.data_dir / "meili" / "server.json"
    log = tmp_path / "serve.log"
    with serve(env, args=["--workers", "2", "--no-worker"], log=log) as (
        base_url,
        process,
    ):
        meili_pid = int(json.loads(state.read_text())["pid"])
        assert meili_pid in _children(process.pid)  # the parent's, not a worker's
        _until(lambda: len(_web_workers(process.pid)) == 2, 30, "two web workers")
        _until(lambda: _searches_find(base_url, slug, 1), 30, "search does not answer")

        first, second = sorted(_web_workers(process.pid))
        # A worker stopped gracefully runs its shutdown (where a worker that owned the server
        # would stop it); uvicorn starts another in its place.
        os.kill(first, signal.SIGTERM)
        _until(lambda: first not in _web_workers(process.pid), 15, "the stopped worker is still there")
        assert _searches_find(base_url, slug, 4)  # the other worker searches on
        _until(lambda: log.read_text().count("Application startup complete") >= 3, 60, "no new worker")
        # A worker killed outright: the new one searches on, with the same server.
        os.kill(second, signal.SIGKILL)
        _until(lambda: second not in _web_workers(process.pid), 15, "the killed worker is still there")
        assert _searches_find(base_url, slug, 4)
        assert pid_alive(meili_pid)
        assert json.loads(state.read_text())["pid"] == meili_pid  # one server all along, never restarted
    assert process.returncode == 0
    _until(lambda: not pid_alive(meili_pid), 10, "Meilisearch outlived serve")
    assert not state.exists()


def test_a_worker_never_starts_a_local_meilisearch_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When serve could not start the local server, its workers say why instead of each
    starting (and, when restarted, stopping) one."""
    settings = settings_for(tmp_path)
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(settings.storage.data_dir))
    monkeypatch.setenv("MEILI_URL", "")
    monkeypatch.setenv(SEARCH_OFF_ENV, "the meilisearch binary is not installed: run `make setup`")
    store_and_index(settings, make_transcript(), make_manifest(), "talk.opus", connection=None, index_uid="-")
    with TestClient(app=app_from_env()) as client:
        answer = client.get("/api/search", params={"q": "furniture"})
        assert answer.status_code == 503
        assert "the meilisearch binary is not installed" in answer.text
        assert client.get("/webinars/circular-procurement-in-small-municipalities").status_code == 200
    assert not (settings.storage.data_dir / "meili").exists()  # no server was started, or looked for
