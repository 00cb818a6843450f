"""The default diarizer on real human speech with human speaker annotations, next to the synthetic demo.

    .venv/bin/python bench/real_voices.py                      # tests/data/real + the synthetic figures
    .venv/bin/python bench/real_voices.py --dir var/real_extra # another folder of clips (see below)
    .venv/bin/python bench/real_voices.py --telephone          # the clips as telephone recordings

Every `<name>.opus` with a `<name>.json` (`utterances`: `start`, `end`, `speaker`) in the folders
is diarized with the diarizer's default bounds (or `--hint`: the true count as the bounds
`min_speakers = max_speakers`, as a manifest listing everyone would give). Per clip and overall:
DER with a 0.25 s collar, the same with overlapping speech left out, the share of speech time
on the right speaker after the optimal one-to-one mapping, and voices found against true ones.
Overall figures pool the time of all clips (each clip mapped on its own). `tests/data/real` is
made by `scripts/make_real_voices.py` (`--extra` writes nine more AMI excerpts to var/real_extra).

`--telephone` writes each clip (and the synthetic two_voices) again as a telephone line records
it, 8 kHz audio stored as Opus at 32 kbit/s, and scores those copies with the diarizer as it is
and with its telephone-band filter off (`ingest.speakers.diarization_audio`).
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

import ingest.speakers
from ingest.speakers import (
    DiarizationScore,
    Diarizer,
    SenkoDiarizer,
    SpeakerTurn,
    decode_mono_16k,
    diarization_score,
    distinct_speakers,
    telephone_band,
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


def write_telephone_copy(
    clip: Clip, folder: Path, *, bit_rate: int = 32_000, application: str = "voip"
) -> Clip:
    """`clip` as an 8 kHz recording stored as mono Opus (in `folder`; the fixtures' settings)."""
    import av
    import numpy as np
    from scipy.signal import resample_poly

    samples = resample_poly(decode_mono_16k(clip.audio), 1, 2)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    path = folder / f"{clip.name.split()[0]}-{application}-{bit_rate}.opus"
    with av.open(str(path), "w", format="ogg") as container:
        stream: Any = container.add_stream("libopus", rate=48_000, layout="mono")
        stream.bit_rate = bit_rate
        stream.options = {"application": application}
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = 8_000
        frame.pts = 0
        for out in [*resampler.resample(frame), *resampler.resample(None)]:
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    return Clip(clip.name, path, clip.truth)


TELEPHONE_ENCODINGS = (
    ("voip", 32_000),
    ("audio", 32_000),
    ("voip", 24_000),
    ("audio", 24_000),
    ("voip", 16_000),
)
"""Opus settings the telephone copies are written with, one run each: on 30-s clips a setting's
effect is within the clustering's sensitivity to small changes of the audio, so it is judged
over several encodings of the same speech."""


def telephone(diarizer: Diarizer, clips: Sequence[Clip]) -> None:
    """Telephone-band copies of `clips` (phone calls as they are), with and without the filter;
    the pooled line counts the copies only, so a real call does not weigh on every setting."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for application, bit_rate in TELEPHONE_ENCODINGS:
            copies = [
                clip
                if telephone_band(decode_mono_16k(clip.audio))
                else write_telephone_copy(clip, Path(tmp), bit_rate=bit_rate, application=application)
                for clip in clips
            ]
            share = ingest.speakers.TELEPHONE_SHARE
            for label, threshold in (("telephone-band filter off", 0.0), ("as the pipeline runs", share)):
                ingest.speakers.TELEPHONE_SHARE = threshold  # 0: no recording is taken for telephone-band
                try:
                    results = [measure(diarizer, clip) for clip in copies]
                finally:
                    ingest.speakers.TELEPHONE_SHARE = share
                print(f"Opus {application} {bit_rate // 1000} kbit/s, {label}:\n{table(results)}", flush=True)
                made = [r for r, clip in zip(results, clips, strict=True) if r.clip is not clip]
                print(f"copies only ({len(made)}): {summary(made)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, action="append", help="folders of clips (default tests/data/real)"
    )
    parser.add_argument("--hint", action="store_true", help="give the true count as min and max speakers")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic demo and two_voices")
    parser.add_argument("--telephone", action="store_true", help="the clips as 8 kHz telephone recordings")
    args = parser.parse_args()

    diarizer = SenkoDiarizer()
    clips = [clip for folder in args.dir or [REAL] for clip in real_clips(folder)]
    if args.telephone:
        name, audio, truth = SYNTHETIC[1]
        telephone(diarizer, [*clips, Clip(name, audio, load_truth(truth))])
        return

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
