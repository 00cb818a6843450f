"""The diarizer's speaker-count bounds come from the agenda and the manifest."""

from __future__ import annotations

from pathlib import Path

from ingest.agenda import parse_agenda
from ingest.metadata import Manifest, Person, load_manifest
from ingest.pipeline import speaker_hints

DEMO = Path(__file__).parents[2] / "media" / "demo"


def test_demo_agenda_names_four_distinct_voices() -> None:
    manifest = load_manifest(DEMO / "manifest.yaml")
    agenda = parse_agenda((DEMO / "agenda.txt").read_text(encoding="utf-8"), manifest.speakers)
    # Moderator, two presenters, and the audience asker (listed with role "audience").
    assert speaker_hints(manifest, agenda) == {"min_speakers": 4, "max_speakers": 5}


def test_without_metadata_a_webinar_has_two_to_twelve_voices() -> None:
    assert speaker_hints(Manifest(), None) == {"min_speakers": 2, "max_speakers": 12}


def test_listed_people_bound_the_count_from_above_only() -> None:
    manifest = Manifest(speakers=[Person(name=f"Person {i}") for i in range(5)])
    assert speaker_hints(manifest, None) == {"min_speakers": 2, "max_speakers": 6}
    many = Manifest(speakers=[Person(name=f"Person {i}") for i in range(20)])
    assert speaker_hints(many, None)["max_speakers"] == 12
