"""The ingest pipeline as one call: probe, transcribe, fix names, structure.

Callers (the CLI, the worker, the benchmark) go through `run` so they all get the same stages
in the same order; each stage stays importable alone for tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.audio import decoding_once, load
from ingest.document import Transcript
from ingest.errors import InputError
from ingest.metadata import AgendaEntry, Manifest
from ingest.probe import MediaInfo, probe
from ingest.transcribe import SAMPLE_RATE, ModelConfig, ProgressCallback, TranscribeOptions, transcribe
from ingest.vocabulary import build_prompt, snap_to_vocabulary

if TYPE_CHECKING:
    from ingest.agenda import AgendaItem, AgendaWarning, ParsedAgenda
    from ingest.speakers import SpeakerTurn


StageCallback = Callable[[str], None]
"""Called with the stage about to start: "probing", "transcribing", "finding speakers",
"structuring", "embedding" (a worker reports it; it may raise to stop the run between stages)."""
EmbeddingProgress = Callable[[int, int], None]
"""Called with (segments embedded so far, segments) during the embedding stage."""


@dataclass(frozen=True)
class PipelineOptions:
    model: ModelConfig = field(default_factory=ModelConfig)
    max_duration: float = 8 * 3600.0
    language: str | None = None
    extra_vocabulary: tuple[str, ...] = ()
    """Terms added to the manifest's, in the names prompt and the snap: `--hotwords` on the command
    line, or the archive's glossary (the worker and `webinar-archive ingest`)."""
    use_prompt: bool = True
    use_snap: bool = True
    batch_size: int = 0
    structure: bool = True
    """Run the structure stage (diarization, chapters, names, Q&A) after transcription."""
    segment_languages: bool = False
    """Label segments spoken in another language (TranscribeOptions.segment_languages)."""
    embed: bool = True
    """Run the embedding stage last: each segment's meaning vector (ingest/embeddings.py), stored
    with the transcript so search by meaning never computes it again."""


@dataclass(frozen=True)
class PipelineResult:
    media: MediaInfo
    transcript: Transcript
    agenda_warnings: tuple[AgendaWarning, ...] = ()
    """Lines of the written agenda skipped as prose (headings, notes), and items timed after the
    recording's end (`ingest.agenda.within_recording`), for staff to check."""


def run(
    media_path: Path,
    manifest: Manifest | None = None,
    options: PipelineOptions | None = None,
    progress: ProgressCallback | None = None,
    agenda: str | Sequence[AgendaEntry] | None = None,
    stage: StageCallback | None = None,
    embedding_progress: EmbeddingProgress | None = None,
) -> PipelineResult:
    """Turn a recording and its metadata into a transcript; raises `InputError` on bad input.

    `agenda` (the timing overview text, or structured entries) overrides `manifest.agenda`.
    `stage` hears each stage as it starts; `embedding_progress` hears (segments embedded,
    segments) after each batch of the embedding stage, as `progress` hears transcription.
    """
    manifest = manifest or Manifest()
    options = options or PipelineOptions()
    started = stage or (lambda _name: None)
    parsed = _structure_agenda(manifest, options, agenda)  # a bad agenda fails before any work
    helper = ThreadPoolExecutor(1, thread_name_prefix="speakers")  # its thread starts on submit
    with decoding_once():
        started("probing")
        media = probe(media_path, max_duration=options.max_duration)
        if parsed is not None:
            from ingest.agenda import within_recording

            parsed = within_recording(parsed, media.duration)
        agenda_items = parsed.items if parsed is not None else None
        vocabulary = [*manifest.vocabulary(), *options.extra_vocabulary]
        transcribe_options = TranscribeOptions(
            language=options.language or manifest.language,
            initial_prompt=build_prompt([*manifest.prompt_terms(), *options.extra_vocabulary])
            if options.use_prompt
            else None,
            batch_size=options.batch_size,
            segment_languages=options.segment_languages,
        )
        started("transcribing")
        speakers: Future[list[SpeakerTurn]] | None = None
        if options.structure:
            load(media_path, SAMPLE_RATE)  # decoded here, once, for both threads
            hints = speaker_hints(manifest, agenda_items)
            # Its own thread, beside transcription: the diarizer needs only the audio, and on two
            # cores it uses the time the decoder leaves a core idle (bench/whole_ingest.py). The copied
            # context carries `decoding_once`'s samples over.
            speakers = helper.submit(copy_context().run, _find_speakers, media_path, hints)
        if options.embed:
            helper.submit(_load_embedder)  # loaded while the decoder still runs, not after it
        try:
            transcript = transcribe(media_path, options.model, transcribe_options, progress)
            if options.use_snap:
                transcript = snap_to_vocabulary(transcript, vocabulary)
            if speakers is not None:
                started("finding speakers")
                turns = speakers.result()
                started("structuring")
                transcript = _structure(transcript, manifest, turns, agenda_items)
        finally:
            # A failed or cancelled run returns at once; the diarizer finishes on its own, unheard.
            helper.shutdown(wait=False, cancel_futures=True)
    if options.embed:
        started("embedding")
        transcript = _embed(transcript, embedding_progress)
    warnings = tuple(parsed.warnings) if parsed is not None else ()
    return PipelineResult(media=media, transcript=transcript, agenda_warnings=warnings)


def _load_embedder() -> None:
    from ingest.embeddings import default_embedder

    default_embedder()


def _embed(transcript: Transcript, progress: EmbeddingProgress | None) -> Transcript:
    """The embedding stage, with the process's one model (loaded on first use)."""
    from ingest.embeddings import embed_transcript

    return embed_transcript(transcript, progress=progress)


# --- structure stage (ingest/structure.py) ---------------------------------------------------


def _structure_agenda(
    manifest: Manifest, options: PipelineOptions, agenda: str | Sequence[AgendaEntry] | None
) -> ParsedAgenda | None:
    """Parse the agenda up front, so a malformed one is reported before any model time is spent."""
    from ingest.agenda import AgendaError, read_agenda

    written = agenda if agenda is not None else manifest.agenda
    if not options.structure or written is None or (isinstance(written, str) and not written.strip()):
        return None
    try:
        return read_agenda(written, manifest.speakers)
    except AgendaError as exc:
        raise InputError(str(exc)) from None


OPEN_QA_MIN_VOICES = 5
"""Voices an open audience Q&A item may add at least (and when its length is unknown)."""
OPEN_QA_MINUTES_PER_VOICE = 2.0
"""A longer open Q&A may add one asker per this many minutes it lasts (question and answer)."""
_OPEN_QA = re.compile(
    r"\bq\s*&\s*a\b|\bq and a\b|\bquestions?\s+(?:and\s+answers?|from)\b|\bopen\s+(?:floor|questions?|mic)\b"
    r"|\b(?:audience|floor|participants|attendees|public|viewers|listeners)\b",
    re.IGNORECASE,
)


def speaker_hints(manifest: Manifest, agenda: list[AgendaItem] | None) -> dict[str, int]:
    """Bounds on the number of voices for the diarizer, from what staff wrote.

    Floor: the people the agenda names as speaking (and an audience asker) are different
    voices, so their count is the floor: two similar voices are never merged into one person.
    With nobody named the floor is 1, not a guessed 2: on real meeting speech
    (`bench/real_voices.py`, 14 clips) a floor of 2 split a dominant voice in two clips where
    others barely spoke: DER 45.9% against 32.4% with a floor of 1 (the same on the demo).

    Ceiling, with no fixed maximum (a learning event with audience questions can have 20-30
    voices): every person the manifest lists or the agenda names, plus the unlisted voices the
    agenda implies, at least one (a host or technician nobody listed):

    * +1 for each question item put by the audience ("Question from the audience to ...");
    * for each other item that opens the floor ("Q&A with participants", "Questions from the
      floor", "Open discussion with the audience"): +1 per `OPEN_QA_MINUTES_PER_VOICE` minutes
      until the next item, at least `OPEN_QA_MIN_VOICES` (also for the last item, whose
      length is unknown).

    Audience members the manifest lists are not subtracted: a ceiling a few voices too high
    costs nothing measurable (on the demo, 4 voices, every ceiling from 5 to 286 gave the same
    4 voices and DER, and the clustering time did not change). When neither names or implies
    anyone, no ceiling is given and the diarizer's own default applies; an unbounded eigengap
    search is never asked for (on the demo it picks one cluster per embedding and collapses to
    one voice, DER 69%). Forcing an exact count was measured to split a dominant voice when a
    listed person barely speaks (ingest/speakers.py).
    """
    from ingest.agenda import AUDIENCE

    items = agenda or []
    named: set[str] = set()
    audience_asks = False
    audience_voices = 0
    for n, item in enumerate(items):
        for name in [*item.speakers, item.asker, item.answerer, item.moderator]:
            if name == AUDIENCE:
                audience_asks = True
            elif name:
                named.add(name)
        if item.kind == "question":
            audience_voices += item.asker == AUDIENCE
        elif _OPEN_QA.search(item.title):
            minutes = (items[n + 1].at - item.at) / 60 if n + 1 < len(items) else 0.0
            audience_voices += max(OPEN_QA_MIN_VOICES, math.ceil(minutes / OPEN_QA_MINUTES_PER_VOICE))
    audience_people = {p.name for p in manifest.speakers if (p.role or "").strip().casefold() == "audience"}
    people = named | {p.name for p in manifest.speakers}
    if audience_asks and not audience_people & named:
        named.add(AUDIENCE)
    floor = max(1, len(named))
    if not people and not audience_voices:
        return {"min_speakers": floor}
    ceiling = len(people) + max(1, audience_voices)
    return {"min_speakers": floor, "max_speakers": max(floor, ceiling)}


def _find_speakers(media_path: Path, hints: dict[str, int]) -> list[SpeakerTurn]:
    """Who speaks when, with the process-wide diarizer (loaded on first use)."""
    from ingest.speakers import default_diarizer

    return default_diarizer().diarize(media_path, **hints)


def _structure(
    transcript: Transcript,
    manifest: Manifest,
    turns: list[SpeakerTurn],
    agenda: list[AgendaItem] | None,
) -> Transcript:
    """Speakers, chapters, names and Q&A from the transcript and the diarizer's turns."""
    from ingest.structure import structure

    return structure(transcript, manifest, turns, agenda)
