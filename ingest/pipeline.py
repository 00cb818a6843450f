"""The ingest pipeline as one call: probe, transcribe, fix names, structure.

Callers (the CLI, the worker, the benchmark) go through `run` so they all get the same stages
in the same order; each stage stays importable alone for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.document import Transcript
from ingest.metadata import Manifest
from ingest.probe import MediaInfo, probe
from ingest.transcribe import ModelConfig, ProgressCallback, TranscribeOptions, transcribe
from ingest.vocabulary import build_prompt, snap_to_vocabulary


@dataclass(frozen=True)
class PipelineOptions:
    model: ModelConfig = field(default_factory=ModelConfig)
    max_duration: float = 8 * 3600.0
    language: str | None = None
    extra_vocabulary: tuple[str, ...] = ()
    """Terms given on the command line (`--hotwords`), added to the manifest's."""
    use_prompt: bool = True
    use_snap: bool = True
    batch_size: int = 0


@dataclass(frozen=True)
class PipelineResult:
    media: MediaInfo
    transcript: Transcript


def run(
    media_path: Path,
    manifest: Manifest | None = None,
    options: PipelineOptions | None = None,
    progress: ProgressCallback | None = None,
) -> PipelineResult:
    """Turn a recording and its metadata into a transcript; raises `InputError` on bad input."""
    manifest = manifest or Manifest()
    options = options or PipelineOptions()
    media = probe(media_path, max_duration=options.max_duration)
    vocabulary = [*manifest.vocabulary(), *options.extra_vocabulary]
    transcribe_options = TranscribeOptions(
        language=options.language or manifest.language,
        initial_prompt=build_prompt([*manifest.prompt_terms(), *options.extra_vocabulary])
        if options.use_prompt
        else None,
        batch_size=options.batch_size,
    )
    transcript = transcribe(media_path, options.model, transcribe_options, progress)
    if options.use_snap:
        transcript = snap_to_vocabulary(transcript, vocabulary)
    return PipelineResult(media=media, transcript=transcript)
