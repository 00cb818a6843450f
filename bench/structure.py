"""Structure-stage benchmark: what diarization + structure add to ingest, per minute of audio.

For the demo webinar (and, unless --skip-long, the demo concatenated N times into /tmp with its
agenda shifted to match), prints the seconds per audio minute of transcription, diarization and
the structure logic, and the real-time factor of the whole ingest (transcription + structure;
audio seconds per wall second). Models are loaded and warmed before timing, as a worker would
have them, and their load times are printed apart. The stages are timed one after another, so
the whole-ingest figure is their sum; `ingest.pipeline.run` overlaps diarization with
transcription, and `bench/whole_ingest.py` times that. Target: whole ingest >= 8x real time.

    .venv/bin/python bench/structure.py [--repeat 3] [--skip-long]
"""

from __future__ import annotations

import argparse
import sys
import time
import wave
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.agenda import AgendaItem, parse_agenda  # noqa: E402
from ingest.metadata import Manifest, load_manifest  # noqa: E402
from ingest.pipeline import PipelineOptions, run  # noqa: E402
from ingest.speakers import SAMPLE_RATE, decode_mono_16k, default_diarizer  # noqa: E402
from ingest.structure import structure  # noqa: E402
from ingest.transcribe import ModelConfig, load_model  # noqa: E402

DEMO = ROOT / "media" / "demo"


def concatenate(source: Path, times: int, target: Path) -> float:
    """Write `source` `times` over as one 16 kHz mono WAV; returns the length of one copy."""
    import numpy as np

    audio = decode_mono_16k(source)
    pcm = (np.clip(np.tile(audio, times), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return float(len(audio)) / SAMPLE_RATE


def shifted_agenda(items: list[AgendaItem], times: int, length: float) -> list[AgendaItem]:
    """The agenda repeated for each copy of the recording, its times moved by the copy's offset."""
    return [msgspec.structs.replace(i, at=i.at + k * length) for k in range(times) for i in items]


def measure(path: Path, manifest: Manifest, agenda: list[AgendaItem]) -> None:
    """Time each stage in wall seconds, and in CPU seconds (all threads), which other load on a
    shared machine inflates far less."""
    started, cpu = time.perf_counter(), time.process_time()
    transcript = run(path, manifest, PipelineOptions(structure=False)).transcript
    transcribe_s, transcribe_cpu = time.perf_counter() - started, time.process_time() - cpu
    count = len(manifest.speakers)
    started, cpu = time.perf_counter(), time.process_time()
    turns = default_diarizer().diarize(path, num_speakers=count if count >= 2 else None)
    diarize_s, diarize_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    result = structure(transcript, manifest, turns, agenda)
    structure_s = time.perf_counter() - started
    minutes = transcript.duration / 60
    total = transcribe_s + diarize_s + structure_s
    print(f"{path.name}: {transcript.duration:.0f} s of audio, {len(result.segments)} segments")
    print(f"  transcription  {transcribe_s / minutes:6.2f} s per audio minute ({transcribe_s:.1f} s)")
    print(
        f"  structure      {(diarize_s + structure_s) / minutes:6.2f} s per audio minute "
        f"(diarization {diarize_s / minutes:.2f}, structure logic {structure_s / minutes:.3f})"
    )
    print(
        f"  whole ingest   {transcript.duration / total:6.1f}x real time "
        f"(transcription alone {transcript.duration / transcribe_s:.1f}x; target >= 8x)"
    )
    print(
        f"  CPU time       transcription {transcribe_cpu / minutes:.2f}, "
        f"diarization {diarize_cpu / minutes:.2f} s per audio minute (2 cores: wall >= CPU / 2)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="copies of the demo in the long file")
    parser.add_argument("--skip-long", action="store_true", help="only the demo itself")
    args = parser.parse_args()

    manifest = load_manifest(DEMO / "manifest.yaml")
    agenda = parse_agenda((DEMO / "agenda.txt").read_text(encoding="utf-8"), manifest.speakers)
    started = time.perf_counter()
    load_model(ModelConfig())
    whisper_load = time.perf_counter() - started
    started = time.perf_counter()
    diarizer = default_diarizer()
    diarizer.diarize(ROOT / "tests" / "data" / "two_voices.opus", num_speakers=2)  # warm up
    diarizer_load = time.perf_counter() - started
    print(
        f"model load (once per worker): whisper {whisper_load:.1f} s, diarizer+warm-up {diarizer_load:.1f} s"
    )

    measure(DEMO / "demo-webinar.opus", manifest, agenda)
    if not args.skip_long:
        target = Path("/tmp") / f"demo-x{args.repeat}.wav"
        length = concatenate(DEMO / "demo-webinar.opus", args.repeat, target)
        measure(target, manifest, shifted_agenda(agenda, args.repeat, length))


if __name__ == "__main__":
    main()
