"""The default diarizer on real human speech with human speaker annotations, next to the synthetic demo.

    .venv/bin/python bench/real_voices.py                      # tests/data/real + the synthetic figures
    .venv/bin/python bench/real_voices.py --dir var/real_extra # another folder of clips (see below)

Every `<name>.opus` with a `<name>.json` (`utterances`: `start`, `end`, `speaker`) in the folders
is diarized with the diarizer's default bounds (or `--hint`: the true count as the bounds
`min_speakers = max_speakers`, as a manifest listing everyone would give). Per clip and overall:
DER with a 0.25 s collar, the same with overlapping speech left out, the share of speech time
on the right speaker after the optimal one-to-one mapping, and voices found against true ones.
Overall figures pool the time of all clips (each clip mapped on its own). `tests/data/real` is
made by `scripts/make_real_voices.py` (`--extra` writes nine more AMI excerpts to var/real_extra).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.speakers import (
    DiarizationScore,
    Diarizer,
    SenkoDiarizer,
    SpeakerTurn,
    diarization_score,
    distinct_speakers,
)

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
SYNTHETIC = [
    (
        "demo (synthetic)",
        ROOT / "media" / "demo" / "demo-webinar.opus",
        ROOT / "media" / "demo" / "truth.json",
    ),
    (
        "two_voices (synthetic)",
        ROOT / "tests" / "data" / "two_voices.opus",
        ROOT / "tests" / "data" / "two_voices.json",
    ),
]


@dataclass(frozen=True)
class Clip:
    name: str
    audio: Path
    truth: list[SpeakerTurn]


@dataclass(frozen=True)
class Result:
    clip: Clip
    turns: list[SpeakerTurn]
    collar: DiarizationScore  # 0.25 s collar
    no_overlap: DiarizationScore  # 0.25 s collar, overlapping speech not scored
    seconds: float

    @property
    def found(self) -> int:
        return len(distinct_speakers(self.turns))

    @property
    def true(self) -> int:
        return len(distinct_speakers(self.clip.truth))


def load_truth(path: Path) -> list[SpeakerTurn]:
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    utterances = data["utterances"] if isinstance(data, dict) else data
    return [SpeakerTurn(float(u["start"]), float(u["end"]), str(u["speaker"])) for u in utterances]


def real_clips(folder: Path = REAL) -> list[Clip]:
    return [Clip(p.stem, p, load_truth(p.with_suffix(".json"))) for p in sorted(folder.glob("*.opus"))]


def measure(diarizer: Diarizer, clip: Clip, **hints: Any) -> Result:
    started = time.process_time()
    turns = diarizer.diarize(clip.audio, **hints)
    seconds = time.process_time() - started
    return Result(
        clip,
        turns,
        diarization_score(clip.truth, turns, collar=0.25),
        diarization_score(clip.truth, turns, collar=0.25, skip_overlap=True),
        seconds,
    )


def pooled(scores: Sequence[DiarizationScore]) -> DiarizationScore:
    """Scores of several clips added up, as if one recording (each keeps its own mapping)."""
    return DiarizationScore(
        reference=sum(s.reference for s in scores),
        missed=sum(s.missed for s in scores),
        false_alarm=sum(s.false_alarm for s in scores),
        confusion=sum(s.confusion for s in scores),
        correct=sum(s.correct for s in scores),
        mapping={},
    )


def overlap_share(truth: Sequence[SpeakerTurn]) -> float:
    """The share of the reference speech time (per speaker) spoken while someone else speaks."""
    score = diarization_score(truth, truth)
    alone = diarization_score(truth, truth, skip_overlap=True)
    return 1 - alone.reference / score.reference if score.reference else 0.0


def table(results: Sequence[Result]) -> str:
    lines = [
        "| clip | voices found / true | overlap | DER (collar 0.25 s) | DER, overlap excluded "
        "| right speaker |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.clip.name} | {r.found} / {r.true} | {overlap_share(r.clip.truth):.0%} "
            f"| {r.collar.der:.1%} | {r.no_overlap.der:.1%} | {r.collar.right_speaker:.1%} |"
        )
    return "\n".join(lines)


def summary(results: Sequence[Result]) -> str:
    collar, no_overlap = pooled([r.collar for r in results]), pooled([r.no_overlap for r in results])
    exact = sum(r.found == r.true for r in results)
    return (
        f"overall: DER {collar.der:.1%} (missed {collar.missed / collar.reference:.1%}, false alarm "
        f"{collar.false_alarm / collar.reference:.1%}, confusion {collar.confusion / collar.reference:.1%}); "
        f"overlap excluded {no_overlap.der:.1%}; right speaker {collar.right_speaker:.1%}; "
        f"voices found {sum(r.found for r in results)} for {sum(r.true for r in results)} "
        f"(count exact in {exact} of {len(results)} clips)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, action="append", help="folders of clips (default tests/data/real)"
    )
    parser.add_argument("--hint", action="store_true", help="give the true count as min and max speakers")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic demo and two_voices")
    args = parser.parse_args()

    diarizer = SenkoDiarizer()
    clips = [clip for folder in args.dir or [REAL] for clip in real_clips(folder)]

    def hints(clip: Clip) -> dict[str, int]:
        true = len(distinct_speakers(clip.truth))
        return {"min_speakers": true, "max_speakers": true} if args.hint else {}

    results = [measure(diarizer, clip, **hints(clip)) for clip in clips]
    print(table(results))
    print(summary(results))
    cpu = sum(r.seconds for r in results)
    minutes = sum(max(t.end for t in r.clip.truth) for r in results) / 60
    print(f"CPU time {cpu:.1f} s for about {minutes:.1f} min of audio")
    if not args.no_synthetic:
        synthetic = [
            measure(diarizer, Clip(name, audio, load_truth(truth)), **{}) for name, audio, truth in SYNTHETIC
        ]
        print(table(synthetic))


if __name__ == "__main__":
    main()
