"""A malformed agenda stops `transcribe` before the recording is touched (no model is loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

DEMO = Path(__file__).parents[2] / "media" / "demo"


def test_a_malformed_agenda_fails_before_transcription(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the recording was touched before the agenda was checked")

    monkeypatch.setattr("ingest.pipeline.probe", never)
    monkeypatch.setattr("ingest.pipeline.transcribe", never)
    agenda = tmp_path / "agenda.txt"
    agenda.write_text(
        "00:00:05 - Welcome by Karen Højgaard\n00:61:00 - Talk by Marek Wójcik\n", encoding="utf-8"
    )
    output = tmp_path / "out.json"
    status = main(
        [
            "transcribe",
            str(DEMO / "demo-webinar.opus"),
            "--manifest",
            str(DEMO / "manifest.yaml"),
            "--agenda",
            str(agenda),
            "--output",
            str(output),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "line 2" in err
    assert "00:61:00" in err
    assert len(err.strip().splitlines()) == 1
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [agenda]
