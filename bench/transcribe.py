"""Transcription benchmark: the pipeline against a bare faster-whisper call, in the same run.

Prints, for the two-voices fixture, the demo recording and a long recording made by concatenating
the demo's speech: real-time factors (audio seconds per wall second) of the pipeline and of a bare
`WhisperModel.transcribe` call on the same file, their ratio (the pipeline's overhead), batched
against sequential decoding, each run's peak memory, and the pipeline's word error rate where the
recording's script is known. Every measurement runs in a fresh child process so its peak RSS is
its own; model loading (and `base`'s one-time join of its parts) is timed apart.

    .venv/bin/python bench/transcribe.py [--model tiny.en|base|FOLDER] [--hours 1] [--repeats 3]
        [--skip-long] [--batched]
"""

from __future__ import annotations

import argparse
import json
import re
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
VOICES = ROOT / "tests" / "data" / "two_voices.opus"
VOICES_MANIFEST = ROOT / "tests" / "data" / "two_voices.manifest.yaml"
MODELS_DIR = ROOT / "var" / "models"


def manifest_for(path: Path) -> Path:
    return VOICES_MANIFEST if path == VOICES else MANIFEST


def reference_for(path: Path) -> str | None:
    """The exact script of a committed recording (as tests/integration/test_transcribe.py reads it)."""
    if path == VOICES:
        return (ROOT / "tests" / "data" / "two_voices.txt").read_text(encoding="utf-8")
    if path == DEMO:
        truth = json.loads((ROOT / "media" / "demo" / "truth.json").read_text(encoding="utf-8"))
        return " ".join(u["text"] for u in truth["utterances"])
    return None


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    def normalise(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def child(mode: str, path: Path, model_name: str) -> None:
    """Run one measurement and print it as JSON (called in a fresh process)."""
    from ingest.metadata import load_manifest
    from ingest.pipeline import PipelineOptions, run
    from ingest.transcribe import ModelConfig, TranscribeOptions, load_model, whisper_arguments
    from ingest.vocabulary import build_prompt

    path = path.resolve()
    config = ModelConfig(model=model_name, models_dir=MODELS_DIR)
    manifest = load_manifest(manifest_for(path))
    started = time.perf_counter()
    model = load_model(config)
    load_seconds = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    wer = None
    if mode == "bare":
        # The same decoding options as the pipeline, so the ratio is the pipeline's own overhead.
        prompt = build_prompt(manifest.prompt_terms())
        arguments = whisper_arguments(TranscribeOptions(initial_prompt=prompt), model.model.is_multilingual)
        segments, info = model.transcribe(str(path), **arguments)
        count = len(list(segments))
        duration = float(info.duration)
    else:
        batch = 8 if mode == "batched" else 0
        options = PipelineOptions(model=config, batch_size=batch, structure=False)  # transcription alone
        result = run(path, manifest, options)
        count = len(result.transcript.segments)
        duration = result.transcript.duration
        reference = reference_for(path)
        if reference is not None:
            wer = word_error_rate(reference, result.transcript.text)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started  # all threads; steadier than wall time when shared
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "duration": duration,
                "segments": count,
                "peak_mb": peak_mb,
                "load_seconds": load_seconds,
                "wer": wer,
            }
        )
    )


def measure(mode: str, path: Path, model_name: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), "--model", model_name],
        capture_output=True,
        text=True,
        check=True,
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


def report(
    label: str, path: Path, modes: list[str], repeats: int, model_name: str
) -> dict[str, dict[str, float]]:
    medians: dict[str, dict[str, float]] = {}
    for mode in modes:
        runs = [measure(mode, path, model_name) for _ in range(repeats)]
        seconds = statistics.median(r["seconds"] for r in runs)
        medians[mode] = {
            "seconds": seconds,
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "rtf": runs[0]["duration"] / seconds,
            "peak_mb": max(r["peak_mb"] for r in runs),
            "duration": runs[0]["duration"],
            "load_seconds": statistics.median(r["load_seconds"] for r in runs),
        }
        m = medians[mode]
        wers = [r["wer"] for r in runs if r.get("wer") is not None]
        wer_text = f", WER {statistics.median(wers):.1%}" if wers else ""
        print(
            f"{label:>6} {mode:>9}: {m['duration']:7.0f} s audio in {seconds:7.1f} s (median of {repeats}) "
            f"= {m['rtf']:5.1f}x real time, CPU {m['cpu_seconds']:6.1f} s, peak {m['peak_mb']:6.0f} MB, "
            f"model load {m['load_seconds']:.1f} s{wer_text}",
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
    parser.add_argument(
        "--model", default="default", help="WHISPER_MODEL's value: default, tiny.en, base or a model folder"
    )
    parser.add_argument("--hours", type=float, default=1.0, help="length of the long recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement on the demo")
    parser.add_argument("--skip-long", action="store_true", help="only the short recordings")
    parser.add_argument("--batched", action="store_true", help="also batched (batch 8) on the short ones")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.model)
        return
    from ingest.models import display_name, resolve_model

    resolve_model(args.model, MODELS_DIR)  # `base` joins its parts once, before anything is timed
    print(f"CPU cores: {len(__import__('os').sched_getaffinity(0))}; model: {display_name(args.model)} int8")
    short_modes = ["bare", "pipeline", *(["batched"] if args.batched else [])]
    report("voices", VOICES, short_modes, args.repeats, args.model)
    report("demo", DEMO, short_modes, args.repeats, args.model)
    if not args.skip_long:
        long_file = make_long_recording(
            args.hours, Path("/tmp") / f"webinar-archive-bench-{args.hours:g}h.ogg"
        )
        medians = report("long", long_file, ["bare", "pipeline", "batched"], 1, args.model)
        print(f"  long peak memory: {medians['pipeline']['peak_mb']:.0f} MB (target <= 1536 MB)")


if __name__ == "__main__":
    main()
