"""The ingest finds speakers while it transcribes: the real pipeline, model and diarizer.

The diarizer needs only the audio, so `ingest.pipeline.run` starts it in a helper thread beside
transcription (bench/whole_ingest.py measures what that saves). These tests hold the promises around
it: the two overlap, they share one decoding of the file, the result is the same structured
transcript, and a run stopped between stages returns without waiting for the helper.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingest import audio, pipeline
from ingest.metadata import load_manifest
from ingest.speakers import SpeakerTurn

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDING = DATA / "two_voices.opus"
MANIFEST = DATA / "two_voices.manifest.yaml"


def test_speakers_are_found_while_the_recording_is_transcribed(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[Path] = []
    real_decode = audio._decode

    def counting(source: Path, sample_rate: int) -> audio.LoadedAudio:
        decoded.append(source)
        return real_decode(source, sample_rate)

    diarizing: dict[str, float | str] = {}
    real_find = pipeline._find_speakers

    def timed_find(media_path: Path, hints: dict[str, int]) -> list[SpeakerTurn]:
        diarizing["thread"] = threading.current_thread().name
        diarizing["start"] = time.monotonic()
        return real_find(media_path, hints)

    heard: list[float] = []
    stages: list[str] = []
    monkeypatch.setattr(audio, "_decode", counting)
    monkeypatch.setattr(pipeline, "_find_speakers", timed_find)
    result = pipeline.run(
        RECORDING,
        load_manifest(MANIFEST),
        progress=lambda done, total: heard.append(time.monotonic()),
        stage=stages.append,
    )
    transcribed_at = heard[-1]
    assert diarizing["thread"] != threading.current_thread().name
    assert float(diarizing["start"]) < transcribed_at, "the diarizer waited for transcription"
    assert len(decoded) == 1, "transcription and the diarizer share one decoding"
    assert stages == ["probing", "transcribing", "finding speakers", "structuring", "embedding"]
    transcript = result.transcript
    assert {segment.speaker for segment in transcript.segments} == {s.label for s in transcript.speakers}
    assert len(transcript.speakers) == 2
    assert transcript.embeddings is not None
    print(f"\ndiarizer started {transcribed_at - float(diarizing['start']):.1f} s before transcription ended")


def test_a_run_stopped_between_stages_does_not_wait_for_the_diarizer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    finished = threading.Event()

    def slow_find(media_path: Path, hints: dict[str, int]) -> list[SpeakerTurn]:
        release.wait(60)  # a long recording's diarization, still running when the run is stopped
        finished.set()
        return []

    class Cancelled(Exception):
        pass

    def stage(name: str) -> None:
        if name == "finding speakers":
            raise Cancelled

    monkeypatch.setattr(pipeline, "_find_speakers", slow_find)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        pipeline.run(RECORDING, load_manifest(MANIFEST), stage=stage)
    took = time.monotonic() - started
    assert not finished.is_set(), "the run waited for the diarizer"
    release.set()
    assert finished.wait(10), "the helper thread finished on its own"
    print(f"\nstopped after transcription, {took:.1f} s in, with the diarizer still running")
