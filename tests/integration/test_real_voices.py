"""The real diarizer and the whole ingest on real human speech with human annotations.

tests/data/real holds five 30-s clips from the pyannote-audio repository (see its README): a
two-person phone call (`sample`, with a transcript) and four excerpts of AMI meetings (2-4
people, overlapping talk). Measured on the 2-core dev machine (`bench/real_voices.py`; before ->
after the speech regions were extended, `ingest.speakers.extend_speech_regions`), pooled over the
five clips with a 0.25 s collar: DER 48.6% -> 43.0%, with overlapping speech excluded 39.5% ->
28.7%, speech time on the right speaker 51.4% -> 57.0%, annotated speech missed by the speech
detector 21.0% -> 13.7%. Then the phone call's empty band above 4 kHz filtered out before
diarizing (`ingest.speakers.diarization_audio`): its two callers are two voices, not three
(DER 17.1% -> 3.6%), pooled DER 40.4%, 24.9% with overlap excluded, 59.6% on the right speaker.
The pooled bounds fail for the figures before; the per-clip ones guard against regressions.
Most of what is left is overlapping talk (a single label per moment cannot be right for two
people) and the AMI clip `tst01`, whose 4 s of quiet speech come out as one voice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.metadata import Manifest, Person
from ingest.pipeline import PipelineOptions, run
from ingest.speakers import (
    DiarizationScore,
    SpeakerTurn,
    default_diarizer,
    diarization_score,
    distinct_speakers,
)
from ingest.transcribe import ModelConfig
from tests.integration.test_transcribe import wer

REAL = Path(__file__).parents[2] / "tests" / "data" / "real"
CLIPS = ("sample", "tst00", "tst01", "dev00", "dev01")

pytestmark = pytest.mark.slow

MAX_DER = 0.44  # measured 40.4% (43.0% before the telephone band was filtered, 48.6% before that)
MAX_DER_WITHOUT_OVERLAP = 0.28  # measured 24.9% (28.7%, 39.5%)
MIN_RIGHT_SPEAKER = 0.56  # measured 59.6% (57.0%, 51.4%)
MAX_SPEECH_MISSED = 0.17  # measured 13.7% (21.0% before)
MAX_SPEECH_FALSE_ALARM = 0.04  # measured 1.7% (0.4% before)
MAX_DER_PER_CLIP = {"sample": 0.08, "dev01": 0.20}  # measured 3.6%, 15.2% (17.1%, 28.5% before)
MAX_SAMPLE_WER = 0.20  # tiny.en with the names prompt: measured 14.8% of 81 words


def truth(name: str) -> list[SpeakerTurn]:
    data: dict[str, Any] = json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))
    return [SpeakerTurn(u["start"], u["end"], u["speaker"]) for u in data["utterances"]]


def pooled(scores: list[DiarizationScore]) -> DiarizationScore:
    return DiarizationScore(
        reference=sum(s.reference for s in scores),
        missed=sum(s.missed for s in scores),
        false_alarm=sum(s.false_alarm for s in scores),
        confusion=sum(s.confusion for s in scores),
        correct=sum(s.correct for s in scores),
        mapping={},
    )


def as_speech(turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
    return [SpeakerTurn(t.start, t.end, "speech") for t in turns]


@pytest.fixture(scope="module")
def diarized() -> dict[str, list[SpeakerTurn]]:
    """Each clip diarized once with the diarizer's default bounds (no metadata)."""
    return {name: default_diarizer().diarize(REAL / f"{name}.opus") for name in CLIPS}


def test_real_voices_diarization_error_rate(diarized: dict[str, list[SpeakerTurn]]) -> None:
    collar = {n: diarization_score(truth(n), diarized[n], collar=0.25) for n in CLIPS}
    alone = {n: diarization_score(truth(n), diarized[n], collar=0.25, skip_overlap=True) for n in CLIPS}
    for n in CLIPS:
        found, true = len(distinct_speakers(diarized[n])), len(distinct_speakers(truth(n)))
        print(f"\n{n}: DER {collar[n].der:.1%} (overlap excluded {alone[n].der:.1%}), voices {found}/{true}")
    overall, without_overlap = pooled(list(collar.values())), pooled(list(alone.values()))
    print(
        f"overall: DER {overall.der:.1%}, overlap excluded {without_overlap.der:.1%}, "
        f"right speaker {overall.right_speaker:.1%}"
    )
    assert overall.der <= MAX_DER
    assert without_overlap.der <= MAX_DER_WITHOUT_OVERLAP
    assert overall.right_speaker >= MIN_RIGHT_SPEAKER
    for name, bound in MAX_DER_PER_CLIP.items():
        assert collar[name].der <= bound, name


def test_real_voices_are_counted(diarized: dict[str, list[SpeakerTurn]]) -> None:
    found = {n: len(distinct_speakers(diarized[n])) for n in CLIPS}
    true = {n: len(distinct_speakers(truth(n))) for n in CLIPS}
    print(f"\nvoices found {found}, true {true}")
    # The two-person phone call is two voices (neither merged nor split); dev01 is exact.
    assert found["sample"] == 2
    assert found["dev00"] <= 3
    assert found["dev01"] == 2
    assert all(1 <= found[n] <= true[n] + 1 for n in CLIPS)
    assert abs(sum(found.values()) - sum(true.values())) <= 2


def test_quiet_real_speech_is_detected(diarized: dict[str, list[SpeakerTurn]]) -> None:
    """Speech detection alone (who speaks aside): annotated speech covered by some turn."""
    scores = pooled([diarization_score(as_speech(truth(n)), as_speech(diarized[n])) for n in CLIPS])
    missed, false_alarm = scores.missed / scores.reference, scores.false_alarm / scores.reference
    print(f"\nspeech missed {missed:.1%}, false alarm {false_alarm:.1%}")
    assert missed <= MAX_SPEECH_MISSED
    assert false_alarm <= MAX_SPEECH_FALSE_ALARM


def test_a_real_phone_call_is_transcribed_and_its_voices_named() -> None:
    """The whole ingest (tiny.en, diarizer, structure) on `sample`, with both callers listed.

    They introduce themselves ("This is Diane in New Jersey", "And I'm Sheila in Texas"); "I'm
    originally from Chicago" and "I'm in New Jersey now" must not name anyone.
    """
    data: dict[str, Any] = json.loads((REAL / "sample.json").read_text(encoding="utf-8"))
    manifest = Manifest(speakers=[Person(name="Diane"), Person(name="Sheila")])
    options = PipelineOptions(model=ModelConfig(model="tiny.en", device="cpu"))
    transcript = run(REAL / "sample.opus", manifest, options).transcript
    measured = wer(" ".join(line["text"] for line in data["transcript"]), transcript.text)
    names = {speaker.label: speaker.name for speaker in transcript.speakers}
    print(f"\nsample: tiny.en WER {measured:.1%}; speakers {transcript.speakers}")
    assert measured <= MAX_SAMPLE_WER
    assert sorted(n for n in names.values() if n) == ["Diane", "Sheila"]
    said = {(names.get(s.speaker or ""), s.text) for s in transcript.segments}
    assert any(name == "Diane" and "This is Diane" in text for name, text in said)
    assert any(name == "Sheila" and "I'm Sheila" in text for name, text in said)
