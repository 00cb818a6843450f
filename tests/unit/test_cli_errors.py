"""The CLI reports the archive's one error family as one line and an exit status per class."""

from __future__ import annotations

import argparse

import pytest

from ingest.errors import (
    ArchiveError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnavailableError,
)
from server import cli
from server.settings import Settings


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InputError("agenda x.txt: cannot read"), 2),
        (NotFoundError("no webinar with slug 'x'"), 3),
        (ConflictError("slug 'x' is already used by another webinar"), 4),
        (ForbiddenError("not allowed"), 5),
        (UnavailableError("the search index cannot be reached"), 6),
        (ArchiveError("indexing failed"), 1),
    ],
)
def test_each_error_class_has_its_exit_status_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: ArchiveError, status: int
) -> None:
    def failing(_args: argparse.Namespace, _settings: Settings) -> int:
        raise error

    monkeypatch.setattr(cli, "cmd_reindex", failing)
    assert cli.main(["reindex"]) == status
    err = capsys.readouterr().err
    assert err == f"webinar-archive: error: {error}\n"


def test_a_bad_setting_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARCHIVE_MAX_HOURS", "many")
    assert cli.main(["reindex"]) == 2
    assert "ARCHIVE_MAX_HOURS" in capsys.readouterr().err


def test_an_unexpected_failure_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: argparse.Namespace, _settings: Settings) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.delenv("ARCHIVE_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_reindex", broken)
    assert cli.main(["reindex"]) == 1
    err = capsys.readouterr().err
    assert "disk on fire" in err
    assert "Traceback" not in err
