"""The `webinar-archive` command line.

Contract (design notes): errors are one human line on standard error and a non-zero exit, never
a traceback (set ARCHIVE_DEBUG=1 to see one); `ingest` prints the slug as its last line.
Each subcommand is a small function taking the parsed arguments and the settings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import InputError
from server.settings import Settings, SettingsError

Command = Callable[[argparse.Namespace, Settings], int]


class CommandError(Exception):
    """A failure to report as one line, with the exit status to use."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float, float], None]]:
    """A terminal progress bar in seconds of audio, with elapsed time and ETA (tqdm)."""
    from tqdm import tqdm

    bar = tqdm(
        total=1.0,
        desc=label,
        unit="s",
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]",
        disable=False if os.environ.get("ARCHIVE_PROGRESS") == "1" else None,  # None: off unless a terminal
    )

    def update(done: float, total: float) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _write_atomic(path: Path, data: str | bytes) -> None:
    """Outputs appear whole or not at all: write beside, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.replace(path)


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.captions import to_srt, to_webvtt
    from ingest.metadata import Manifest, load_manifest
    from ingest.pipeline import PipelineOptions, run
    from ingest.transcribe import ModelConfig

    manifest = load_manifest(Path(args.manifest)) if args.manifest else Manifest()
    options = PipelineOptions(
        model=ModelConfig(settings.whisper.model, settings.whisper.device, settings.whisper.compute_type),
        max_duration=settings.max_duration_hours * 3600,
        language=args.language,
        extra_vocabulary=tuple(args.hotwords or ()),
    )
    started = time.perf_counter()
    with progress_bar("transcribing") as progress:
        result = run(Path(args.media), manifest, options, progress)
    transcript = result.transcript
    elapsed = time.perf_counter() - started
    if args.vtt:
        _write_atomic(Path(args.vtt), to_webvtt(transcript))
    if args.srt:
        _write_atomic(Path(args.srt), to_srt(transcript))
    if args.output:
        _write_atomic(Path(args.output), transcript.to_json())
    else:
        sys.stdout.buffer.write(transcript.to_json() + b"\n")
    print(
        f"{len(transcript.segments)} segments, {transcript.duration:.0f} s of audio in {elapsed:.1f} s "
        f"({transcript.duration / max(elapsed, 1e-9):.1f}x real time)",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webinar-archive", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("transcribe", help="transcribe one recording, with no database or index")
    p.add_argument("media", help="audio or video file")
    p.add_argument("-o", "--output", help="write the transcript JSON here (default: standard output)")
    p.add_argument("--vtt", help="also write WebVTT captions here")
    p.add_argument("--srt", help="also write SRT captions here")
    p.add_argument("--language", help="language code; English-only models always use en")
    p.add_argument("--hotwords", nargs="+", metavar="TERM", help="extra names and terms to recognise")
    p.add_argument("--manifest", help="metadata file (JSON or YAML): names become vocabulary")
    p.set_defaults(handler=cmd_transcribe)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command = args.handler
    try:
        settings = Settings.from_env()
        return handler(args, settings)
    except (InputError, SettingsError) as exc:
        return _fail(str(exc), 2)
    except CommandError as exc:
        return _fail(str(exc), exc.status)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("ARCHIVE_DEBUG") == "1":
            raise
        return _fail(f"unexpected failure: {type(exc).__name__}: {exc} (ARCHIVE_DEBUG=1 shows details)", 1)


def _fail(message: str, status: int) -> int:
    print(f"webinar-archive: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
