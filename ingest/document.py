"""The transcript document: the typed value that leaves `ingest/` and enters `server/`.

msgspec Structs rather than dataclasses because the document must round-trip through JSON
exactly (a transcript file written by `webinar-archive transcribe` is read back by `ingest`
and by tests), and msgspec validates types on decode instead of trusting the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, get_args

import msgspec

SegmentKind = Literal["intro", "presentation", "question", "answer", "panel", "other"]
"""What a segment or chapter is, as the structure stage decides it; the only definition in ingest."""
SEGMENT_KINDS: Final[tuple[SegmentKind, ...]] = get_args(SegmentKind)
"""The same kinds as a tuple, in that order, for validating input and listing choices."""


class Word(msgspec.Struct, frozen=True):
    """One recognised word with its own times, so a segment can be split between words."""

    start: float
    end: float
    text: str
    probability: float


class Segment(msgspec.Struct):
    """A timestamped stretch of speech: the unit a search hit lands on.

    `speaker`, `kind`, `chapter`, `answers` and `resources` are filled by the structure stage;
    a bare transcription leaves them at their defaults.
    """

    id: int
    start: float
    end: float
    text: str
    words: list[Word] = msgspec.field(default_factory=list)
    speaker: str | None = None
    kind: SegmentKind = "other"
    chapter: int | None = None
    answers: int | None = None
    """For an answer: the id of the question segment it answers."""
    resources: list[int] = msgspec.field(default_factory=list)
    """Indexes into `Transcript.resources` of the resources this segment mentions."""
    language: str | None = None
    """ISO 639-1 code where this segment's language differs from `Transcript.language` (an
    interpreted question, say); None: the transcript's. Set only when transcription was asked
    for segment languages (`TranscribeOptions.segment_languages`)."""


class Speaker(msgspec.Struct):
    """A voice in the recording: a stable label, and a person's name once one is known."""

    label: str
    name: str | None = None
    role: str | None = None
    affiliation: str | None = None
    project: str | None = None


class Chapter(msgspec.Struct):
    """A navigable part of the webinar; `written_start` keeps the time staff wrote, if any."""

    start: float
    end: float
    title: str
    kind: SegmentKind = "other"
    speakers: list[str] = msgspec.field(default_factory=list)
    written_start: float | None = None


class Resource(msgspec.Struct):
    """A link from the metadata; `start` is the first moment it is mentioned, if any."""

    title: str
    url: str
    start: float | None = None


class SegmentVectors(msgspec.Struct):
    """What each segment means, as the embedding stage computed it (ingest/embeddings.py).

    `counts[i]` rows for segment i (its passages: the whole text, then its sentences), in
    `Transcript.segments` order, `dimensions` float32 numbers each, little-endian, packed in
    `data` (base64 in JSON). `texts` is a hash of the texts the vectors were made from: a
    transcript edited after the stage no longer matches and is embedded again where it is stored
    (server/catalog/embeddings.py).
    """

    model: str
    dimensions: int
    data: bytes
    counts: list[int]
    texts: str


class Transcript(msgspec.Struct):
    """A whole recording's transcript, with the structure added by later stages."""

    language: str
    """ISO 639-1 code: the manifest's, or detected (ingest/transcribe.py)."""
    duration: float
    model: str
    segments: list[Segment]
    speakers: list[Speaker] = msgspec.field(default_factory=list)
    chapters: list[Chapter] = msgspec.field(default_factory=list)
    resources: list[Resource] = msgspec.field(default_factory=list)
    audio_track: int | None = None
    """The container stream index of the audio track transcribed (`ffmpeg -map 0:<n>`); None
    in transcripts made before it was recorded. Word times are on the player's timeline."""
    embeddings: SegmentVectors | None = None
    """The segments' meaning vectors (the embedding stage); None before it ran or without it."""

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)

    def to_json(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self), indent=2)

    @classmethod
    def from_json(cls, data: bytes | str) -> Transcript:
        return msgspec.json.decode(data, type=cls)

    def save(self, path: Path) -> None:
        """Write atomically, so a crash never leaves a half-written transcript behind."""
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(self.to_json())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Transcript:
        return cls.from_json(path.read_bytes())
