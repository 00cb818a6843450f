"""Every supported container is accepted; every bad input gets its own message and no output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.probe import ProbeError, probe
from tests.media_factory import AUDIO_FORMATS, write_tone, write_video_only


@pytest.mark.parametrize("suffix", sorted(AUDIO_FORMATS))
def test_audio_containers_are_accepted(tmp_path: Path, suffix: str) -> None:
    info = probe(write_tone(tmp_path / f"tone.{suffix}", seconds=3.0))
    assert info.duration == pytest.approx(3.0, abs=0.2)
    assert not info.has_video
    assert info.sample_rate > 0


@pytest.mark.parametrize("suffix", ["mp4", "mkv", "mov"])
def test_video_with_audio_is_accepted(tmp_path: Path, suffix: str) -> None:
    info = probe(write_tone(tmp_path / f"talk.{suffix}", seconds=2.0, with_video=True))
    assert info.has_video
    assert info.duration == pytest.approx(2.0, abs=0.2)


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("These are my meeting notes, not a video.\n" * 20)
    good_m4a = write_tone(tmp_path / "full.m4a", seconds=20.0)
    cut_m4a = tmp_path / "cut.m4a"
    cut_m4a.write_bytes(good_m4a.read_bytes()[: good_m4a.stat().st_size // 2])
    good_mp3 = write_tone(tmp_path / "full.mp3", seconds=20.0)
    cut_mp3 = tmp_path / "cut.mp3"
    cut_mp3.write_bytes(good_mp3.read_bytes()[: good_mp3.stat().st_size // 2])
    return {
        "missing": (tmp_path / "nowhere.mp4", "file not found"),
        "empty": (empty, "the file is empty"),
        "text renamed .mp4": (text, "not a recognisable audio or video file"),
        "truncated mp4": (cut_m4a, "not a recognisable audio or video file"),
        "truncated mp3": (cut_mp3, "the file is truncated"),
        "video without audio": (write_video_only(tmp_path / "silent.mp4"), "video track but no audio track"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "empty", "text renamed .mp4", "truncated mp4", "truncated mp3", "video without audio"]
)
def test_bad_inputs_get_their_own_message(tmp_path: Path, case: str) -> None:
    path, message = _bad_inputs(tmp_path)[case]
    with pytest.raises(ProbeError, match=message) as caught:
        probe(path)
    assert str(path) in str(caught.value)


def test_recording_longer_than_the_maximum_is_refused(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "long.ogg", seconds=8.0)
    with pytest.raises(ProbeError, match=r"longer than the maximum of 0\.00 h"):
        probe(path, max_duration=5.0)
    assert probe(path, max_duration=10.0).duration == pytest.approx(8.0, abs=0.2)


@pytest.mark.parametrize(
    ("case", "env"),
    [
        ("text renamed .mp4", {}),
        ("video without audio", {}),
        ("truncated mp3", {}),
        ("long", {"ARCHIVE_MAX_HOURS": "0.001"}),
    ],
)
def test_cli_refuses_bad_input_in_one_line_and_writes_nothing(
    tmp_path: Path, case: str, env: dict[str, str]
) -> None:
    if case == "long":
        path, message = write_tone(tmp_path / "long.wav", seconds=6.0), "longer than the maximum"
    else:
        path, message = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "transcribe",
            str(path),
            "-o",
            str(out / "t.json"),
            "--vtt",
            str(out / "t.vtt"),
            "--srt",
            str(out / "t.srt"),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ARCHIVE_DATA_DIR": str(tmp_path / "var"), **env},
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
