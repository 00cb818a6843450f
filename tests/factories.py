"""Hand-built inputs for the catalogue, API, page and search tests (no speech model needed).

Import them from here (`from tests.factories import make_transcript`); fixtures live in
tests/conftest.py, the demo webinar's data in tests/site_data.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.document import Chapter, Resource, Segment, Speaker, Transcript, Word
from ingest.metadata import Manifest, Person, ResourceLink
from ingest.probe import MediaInfo


def make_transcript() -> Transcript:
    """A small, fully structured transcript: two named speakers, chapters, a Q&A, a resource."""

    def words(start: float, text: str) -> list[Word]:
        result = []
        for i, token in enumerate(text.split()):
            result.append(Word(start + i * 0.5, start + i * 0.5 + 0.4, f" {token}", 0.9))
        return result

    texts = [
        (0.0, 4.0, "Welcome everyone to this webinar on circular procurement.", "SPEAKER_00", "intro", 0),
        (4.5, 12.0, "Small municipalities can buy refurbished furniture & save money.", "SPEAKER_01",
         "presentation", 1),
        (12.5, 15.0, "How do you write the tender criteria?", "SPEAKER_00", "question", 2),
        (15.5, 21.0, "We score reuse and repairability <above> price.", "SPEAKER_01", "answer", 2),
        (21.5, 24.0, "Thank you all for joining.", "SPEAKER_02", "other", None),
    ]  # fmt: skip
    segments = [
        Segment(
            id=i,
            start=start,
            end=end,
            text=text_,
            words=words(start, text_),
            speaker=speaker,
            kind=kind,  # type: ignore[arg-type]
            chapter=chapter,
            answers=2 if i == 3 else None,
            resources=[0] if i == 1 else [],
        )
        for i, (start, end, text_, speaker, kind, chapter) in enumerate(texts)
    ]
    return Transcript(
        language="en",
        duration=24.5,
        model="tiny.en",
        segments=segments,
        speakers=[
            Speaker("SPEAKER_00", "Maria Jensen", "moderator", "EU Programme", None),
            Speaker("SPEAKER_01", "Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
            Speaker("SPEAKER_02"),
        ],
        chapters=[
            Chapter(0.0, 4.0, "Welcome", "intro", ["Maria Jensen"], written_start=0.0),
            Chapter(4.5, 12.0, "Keynote: circular procurement", "presentation", ["Tomasz Nowak"], 4.0),
            Chapter(12.5, 24.5, "Questions", "question", ["Maria Jensen", "Tomasz Nowak"], 12.0),
        ],
        resources=[Resource("ReCircle toolkit", "https://example.org/recircle", 4.5)],
    )


def make_manifest(title: str = "Circular procurement in small municipalities") -> Manifest:
    return Manifest(
        title=title,
        date=dt.date(2024, 3, 14),
        description="How small towns buy reused goods.",
        language="en",
        topics=["circular economy", "procurement"],
        speakers=[
            Person("Maria Jensen", "moderator", "EU Programme"),
            Person("Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
            Person("Ana Ribeiro", "panelist", "Port of Aveiro", "GreenPorts"),
        ],
        resources=[ResourceLink("ReCircle toolkit", "https://example.org/recircle")],
        agenda="00:00 - Welcome by Maria Jensen\n00:04 - Keynote by Tomasz Nowak",
    )


def make_media_info(path: str = "circular.opus", duration: float = 24.5) -> MediaInfo:
    return MediaInfo(
        path=Path(path),
        container="ogg",
        duration=duration,
        audio_codec="opus",
        sample_rate=48000,
        channels=1,
        has_video=False,
    )
