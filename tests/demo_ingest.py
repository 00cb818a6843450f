"""The demo webinar through the whole ingest pipeline (real tiny.en, diarizer and structure).

It takes about a minute on two cores, so the session runs it once (`demo_ingest` in conftest.py)
for every test that needs it: the structure figures against media/demo/truth.json and the
labelled query set (tests/relevance.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.metadata import load_manifest
from ingest.pipeline import PipelineResult, run
from ingest.speakers import Diarizer, SpeakerTurn, default_diarizer

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "media" / "demo"


class RecordingDiarizer:
    """Wraps the real diarizer to keep the turns it returned, so DER is measured on them."""

    def __init__(self, inner: Diarizer) -> None:
        self.inner = inner
        self.turns: list[SpeakerTurn] = []

    def diarize(
        self,
        audio_path: Path,
        *,
        min_speakers: int = 1,
        max_speakers: int = 12,
        num_speakers: int | None = None,
    ) -> list[SpeakerTurn]:
        self.turns = self.inner.diarize(
            audio_path, min_speakers=min_speakers, max_speakers=max_speakers, num_speakers=num_speakers
        )
        return self.turns


@dataclass(frozen=True)
class DemoIngest:
    result: PipelineResult
    turns: list[SpeakerTurn]
    """The diarizer's own turns, before the structure stage."""


def ingest_demo() -> DemoIngest:
    recording = RecordingDiarizer(default_diarizer())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ingest.speakers.default_diarizer", lambda: recording)
        result = run(
            DEMO / "demo-webinar.opus",
            load_manifest(DEMO / "manifest.yaml"),
            agenda=(DEMO / "agenda.txt").read_text(encoding="utf-8"),
        )
    return DemoIngest(result, recording.turns)
