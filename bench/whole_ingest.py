"""The whole ingest of a recording, timed stage by stage, against the stages run one after another.

    .venv/bin/python bench/whole_ingest.py                       # the demo webinar, 3 rounds
    .venv/bin/python bench/whole_ingest.py --rounds 5 --warm     # with the models already loaded
    .venv/bin/python bench/whole_ingest.py --repeat 13 --rounds 1  # an hour: the demo 13 times over

`ingest.pipeline.run` finds speakers in a thread of its own while the recording is transcribed.
The baseline is the same stages called one after another: probe, transcribe, fix names, find
speakers, structure, embed. Each run is a fresh process, so a run's figure includes loading the
models, as `webinar-archive ingest` pays it. With `--warm` each process first ingests once and
then times a second ingest, as a worker that has the models loaded pays it. The two ways run in
interleaved rounds (noise hits both alike); medians, real-time factors, their ratio and each
way's peak resident memory are printed (both stages now hold their memory at once). `--repeat N`
ingests the demo N times over as one WAV (`bench/structure.py`'s `concatenate`), without its
agenda. Targets: the whole ingest at least 8x real time on two cores, at most 1.5 GB for an hour.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO = ROOT / "media" / "demo"
WAYS = ("pipeline", "one after another")


def one_after_another(recording: Path, manifest_path: Path | None, agenda: str | None) -> float:
    """The stages in sequence, as the pipeline ran them before it found speakers in a thread."""
    from ingest import pipeline
    from ingest.audio import decoding_once
    from ingest.metadata import Manifest, load_manifest
    from ingest.probe import probe
    from ingest.transcribe import TranscribeOptions, transcribe
    from ingest.vocabulary import build_prompt, snap_to_vocabulary

    manifest = load_manifest(manifest_path) if manifest_path else Manifest()
    options = pipeline.PipelineOptions()
    parsed = pipeline._structure_agenda(manifest, options, agenda)
    items = parsed.items if parsed is not None else None
    with decoding_once():
        media = probe(recording, max_duration=options.max_duration)
        prompt = build_prompt(manifest.prompt_terms())
        opts = TranscribeOptions(language=manifest.language, initial_prompt=prompt)
        transcript = transcribe(recording, options.model, opts)
        transcript = snap_to_vocabulary(transcript, manifest.vocabulary())
        turns = pipeline._find_speakers(recording, pipeline.speaker_hints(manifest, items))
        transcript = pipeline._structure(transcript, manifest, turns, items)
    pipeline._embed(transcript, None)
    return media.duration


def as_shipped(recording: Path, manifest_path: Path | None, agenda: str | None) -> float:
    from ingest import pipeline
    from ingest.metadata import load_manifest

    manifest = load_manifest(manifest_path) if manifest_path else None
    return pipeline.run(recording, manifest, agenda=agenda).media.duration


def child(way: str, recording: Path, manifest: Path | None, agenda_path: Path | None, warm: bool) -> None:
    """One measurement in this (fresh) process; prints a JSON line for the parent."""
    agenda = agenda_path.read_text(encoding="utf-8") if agenda_path else None
    ingest: Callable[[Path, Path | None, str | None], float] = (
        as_shipped if way == "pipeline" else one_after_another
    )
    if warm:
        ingest(recording, manifest, agenda)
    started = time.perf_counter()
    duration = ingest(recording, manifest, agenda)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "duration": duration, "peak_mb": peak}))


def measure(way: str, args: argparse.Namespace) -> tuple[float, float, float]:
    command = [sys.executable, __file__, "--child", way, "--recording", str(args.recording)]
    if args.manifest:
        command += ["--manifest", str(args.manifest)]
    if args.agenda:
        command += ["--agenda", str(args.agenda)]
    if args.warm:
        command.append("--warm")
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return float(figures["seconds"]), float(figures["duration"]), float(figures["peak_mb"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recording", type=Path, default=DEMO / "demo-webinar.opus")
    parser.add_argument("--manifest", type=Path, default=DEMO / "manifest.yaml")
    parser.add_argument("--agenda", type=Path, default=DEMO / "agenda.txt")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="time a second ingest, models loaded")
    parser.add_argument("--repeat", type=int, default=1, help="the recording N times over, no agenda")
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.recording, args.manifest, args.agenda, args.warm)
        return
    if args.repeat > 1:
        from structure import concatenate  # bench/structure.py, beside this file

        target = Path("/tmp") / f"{args.recording.stem}-x{args.repeat}.wav"
        concatenate(args.recording, args.repeat, target)
        args.recording, args.agenda = target, None
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    peaks: dict[str, list[float]] = {way: [] for way in WAYS}
    duration = 0.0
    for n in range(args.rounds):
        for way in WAYS:
            taken, duration, peak = measure(way, args)
            seconds[way].append(taken)
            peaks[way].append(peak)
        print(f"round {n + 1}/{args.rounds}: " + ", ".join(f"{w} {seconds[w][-1]:.1f} s" for w in WAYS))
    loaded = "models loaded" if args.warm else "models loaded in each fresh process"
    print(f"\n{args.recording.name}, {duration:.0f} s of audio, {loaded}, {args.rounds} interleaved rounds:")
    for way in WAYS:
        median = statistics.median(seconds[way])
        figures = ", ".join(f"{s:.1f}" for s in seconds[way])
        print(
            f"  {way:<18} median {median:5.1f} s = {duration / median:4.1f}x real time ({figures}); "
            f"peak {max(peaks[way]):,.0f} MB"
        )
    ratio = statistics.median(seconds[WAYS[1]]) / statistics.median(seconds[WAYS[0]])
    fastest = duration / statistics.median(seconds[WAYS[0]])
    print(f"  pipeline {ratio:.2f}x faster than one after another; target >= 8x real time: {fastest:.1f}x")


if __name__ == "__main__":
    main()
