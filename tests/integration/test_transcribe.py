"""The real tiny.en model on committed recordings: accuracy, timing, no invented text.

Bounds are set from measurements on these fixtures (README, "Transcription") with margin for
the model's run-to-run noise across CPUs; they fail if recognition degrades materially.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jiwer
import pytest
import webvtt

from ingest.document import Transcript
from ingest.metadata import load_manifest
from ingest.pipeline import PipelineOptions, PipelineResult, run

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
DEMO = ROOT / "media" / "demo"

pytestmark = pytest.mark.slow

TWO_VOICES_MAX_WER = 0.15
# Transcription alone: the structure stage (diarization) has its own tests.
TRANSCRIBE_ONLY = PipelineOptions(structure=False)
DEMO_MAX_WER = 0.18


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def names_recognised(reference: str, hypothesis: str, names: list[str]) -> tuple[int, int]:
    """How many occurrences of known names in the reference also appear in the hypothesis."""
    found = total = 0
    for name in names:
        expected = reference.casefold().count(name.casefold())
        total += expected
        found += min(expected, hypothesis.casefold().count(name.casefold()))
    return found, total


@pytest.fixture(scope="module")
def two_voices() -> PipelineResult:
    return run(DATA / "two_voices.opus", load_manifest(DATA / "two_voices.manifest.yaml"), TRANSCRIBE_ONLY)


def test_two_voices_word_error_rate(two_voices: PipelineResult) -> None:
    reference = (DATA / "two_voices.txt").read_text(encoding="utf-8")
    measured = wer(reference, two_voices.transcript.text)
    print(f"\ntwo_voices WER {measured:.3f}")
    assert measured <= TWO_VOICES_MAX_WER
    assert two_voices.transcript.language == "en"
    assert two_voices.transcript.model.startswith("tiny.en")


def test_segment_and_word_times_are_consistent(two_voices: PipelineResult) -> None:
    transcript = two_voices.transcript
    assert len(transcript.segments) >= 2
    previous_end = 0.0
    for segment in transcript.segments:
        assert previous_end <= segment.start <= segment.end <= transcript.duration + 0.01
        previous_end = segment.end
        assert segment.words, "word timestamps are on"
        word_end = segment.start
        for word in segment.words:
            assert segment.start <= word.start <= word.end <= segment.end
            assert word.start >= word_end - 1e-6
            word_end = word.end
            assert 0.0 <= word.probability <= 1.0


def test_transcript_round_trips_through_json(two_voices: PipelineResult, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    two_voices.transcript.save(path)
    assert Transcript.load(path) == two_voices.transcript
    assert json.loads(path.read_text())["segments"][0]["words"][0].keys() == {
        "start",
        "end",
        "text",
        "probability",
    }


def test_event_vocabulary_improves_names_and_accuracy() -> None:
    """The prompt and the snap are kept because they measurably help (numbers in the README)."""
    manifest = load_manifest(DATA / "two_voices.manifest.yaml")
    reference = (DATA / "two_voices.txt").read_text(encoding="utf-8")
    names = manifest.vocabulary()
    plain = run(
        DATA / "two_voices.opus", manifest, PipelineOptions(use_prompt=False, use_snap=False, structure=False)
    )
    biased = run(DATA / "two_voices.opus", manifest, TRANSCRIBE_ONLY)
    plain_found, total = names_recognised(reference, plain.transcript.text, names)
    biased_found, _ = names_recognised(reference, biased.transcript.text, names)
    plain_wer = wer(reference, plain.transcript.text)
    biased_wer = wer(reference, biased.transcript.text)
    print(f"\nnames {plain_found}/{total} -> {biased_found}/{total}; WER {plain_wer:.3f} -> {biased_wer:.3f}")
    assert biased_found > plain_found
    assert biased_found >= total - 1
    assert biased_wer <= plain_wer


def test_no_words_over_silence_or_music() -> None:
    spans = json.loads((DATA / "silence_music.json").read_text())
    transcript = run(DATA / "silence_music.opus", options=TRANSCRIBE_ONLY).transcript
    quiet_start, quiet_end = spans["silence"][0], spans["music"][1]
    tolerance = 0.5
    words = [w for s in transcript.segments for w in s.words]
    invented = [w for w in words if w.end > quiet_start + tolerance and w.start < quiet_end - tolerance]
    assert invented == [], f"words invented over silence/music: {invented}"
    # The speech on both sides of the break is still there.
    before = " ".join(w.text for w in words if w.end <= quiet_start + tolerance)
    after = " ".join(w.text for w in words if w.start >= quiet_end - tolerance)
    assert wer(spans["texts"][0], before) <= 0.3
    assert wer(spans["texts"][-1], after) <= 0.3


def test_progress_reports_audio_seconds_up_to_the_total() -> None:
    calls: list[tuple[float, float]] = []
    run(
        DATA / "two_voices.opus",
        options=TRANSCRIBE_ONLY,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(calls) >= 3
    done = [c[0] for c in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] == pytest.approx(36.0, abs=2.0)


def test_demo_webinar_word_error_rate() -> None:
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    reference = " ".join(u["text"] for u in truth["utterances"])
    transcript = run(
        DEMO / "demo-webinar.opus", load_manifest(DEMO / "manifest.yaml"), TRANSCRIBE_ONLY
    ).transcript
    measured = wer(reference, transcript.text)
    print(f"\ndemo WER {measured:.3f}")
    assert measured <= DEMO_MAX_WER


def test_cli_writes_json_and_captions_a_parser_reads(tmp_path: Path) -> None:
    out_json, out_vtt, out_srt = tmp_path / "t.json", tmp_path / "t.vtt", tmp_path / "t.srt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "transcribe",
            str(DATA / "two_voices.opus"),
            "-o",
            str(out_json),
            "--vtt",
            str(out_vtt),
            "--srt",
            str(out_srt),
            "--language",
            "en",
            "--hotwords",
            "EXPORTA",
            "Extremadura",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        # ARCHIVE_PROGRESS=1 shows the bar even though stderr is a pipe here, not a terminal.
        env={"PATH": "/usr/bin:/bin", "ARCHIVE_DATA_DIR": str(tmp_path / "var"), "ARCHIVE_PROGRESS": "1"},
    )
    assert result.returncode == 0, result.stderr
    transcript = Transcript.load(out_json)
    assert "Kent County Council" in transcript.text
    vtt = webvtt.read(str(out_vtt))
    srt = webvtt.from_srt(str(out_srt))
    assert len(vtt.captions) == len(srt.captions) >= len(transcript.segments)
    assert vtt.captions[0].start_time.in_milliseconds() == round(transcript.segments[0].start * 1000)
    assert "x real time" in result.stderr
    # The progress bar: percentage, seconds of audio done of the total, elapsed<remaining (ETA).
    assert re.search(r"transcribing: 100%\|.*\| 36/36 s audio \[\d\d:\d\d<\d\d:\d\d\]", result.stderr)
