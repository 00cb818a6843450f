"""Measure the default diarizer on a recording with a truth file.

    .venv/bin/python bench/diarize.py media/demo/demo-webinar.opus media/demo/truth.json

The truth file is a JSON list of utterances with `start`, `end` and `speaker` (other keys are
ignored), or an object holding such a list under `utterances`. Prints the load time, the
seconds of processing per audio minute, the speakers found and the diarization error rate.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.speakers import (
    SenkoDiarizer,
    SpeakerTurn,
    decode_mono_16k,
    diarization_error_rate,
    distinct_speakers,
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
    args = parser.parse_args()

    truth = load_truth(args.truth)
    expected = len(distinct_speakers(truth))
    minutes = len(decode_mono_16k(args.audio)) / 16_000 / 60

    started = time.perf_counter()
    diarizer = SenkoDiarizer(threads=args.threads or None)
    load_s = time.perf_counter() - started

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


if __name__ == "__main__":
    main()
