"""The diarizer's speaker-count bounds come from the agenda and the manifest."""

from __future__ import annotations

from pathlib import Path

from ingest.agenda import parse_agenda
from ingest.metadata import Manifest, Person, load_manifest
from ingest.pipeline import OPEN_QA_MIN_VOICES, speaker_hints

DEMO = Path(__file__).parents[2] / "media" / "demo"


def _people(n: int, role: str | None = None) -> list[Person]:
    return [Person(name=f"Person {i}", role=role) for i in range(n)]


def test_demo_agenda_names_four_distinct_voices() -> None:
    manifest = load_manifest(DEMO / "manifest.yaml")
    agenda = parse_agenda((DEMO / "agenda.txt").read_text(encoding="utf-8"), manifest.speakers)
    # Moderator, two presenters, and the audience asker (listed with role "audience"); the
    # ceiling is the four listed people plus the one audience question.
    assert speaker_hints(manifest, agenda) == {"min_speakers": 4, "max_speakers": 5}


def test_without_metadata_the_diarizer_default_is_the_only_ceiling() -> None:
    # Nobody named: no floor above one voice (a guessed 2 split a dominant real voice).
    assert speaker_hints(Manifest(), None) == {"min_speakers": 1}
    assert speaker_hints(Manifest(), []) == {"min_speakers": 1}
    # An agenda that names nobody and opens no floor says nothing about the count either.
    agenda = parse_agenda("00:00 Welcome\n00:05 Keynote\n00:40 Closing", [])
    assert speaker_hints(Manifest(), agenda) == {"min_speakers": 1}


def test_listed_people_bound_the_count_from_above_only() -> None:
    manifest = Manifest(speakers=_people(5))
    assert speaker_hints(manifest, None) == {"min_speakers": 1, "max_speakers": 6}


def test_no_fixed_maximum_for_a_long_speaker_list() -> None:
    assert speaker_hints(Manifest(speakers=_people(30)), None)["max_speakers"] >= 31
    assert speaker_hints(Manifest(speakers=_people(40)), None) == {"min_speakers": 1, "max_speakers": 41}


def test_each_audience_question_can_be_another_voice() -> None:
    manifest = Manifest(speakers=[Person(name="Anna Kowalska"), Person(name="Ben Okafor")])
    agenda = parse_agenda(
        "00:00 Welcome by Anna Kowalska\n"
        "00:02 Talk by Ben Okafor\n"
        "00:20 Question from the audience to Ben Okafor\n"
        "00:22 Question from the floor to Ben Okafor\n"
        "00:24 Question from a participant to Ben Okafor\n"
        "00:26 Closing by Anna Kowalska",
        manifest.speakers,
    )
    hints = speaker_hints(manifest, agenda)
    assert hints["max_speakers"] == 2 + 3 > speaker_hints(manifest, None)["max_speakers"]
    assert hints["min_speakers"] == 3  # two named people and the audience


def test_an_open_q_and_a_raises_the_ceiling_by_its_length() -> None:
    manifest = Manifest(speakers=_people(6))
    short = parse_agenda("00:00 Welcome\n00:10 Q&A with participants\n00:15 Closing", manifest.speakers)
    assert speaker_hints(manifest, short)["max_speakers"] == 6 + OPEN_QA_MIN_VOICES
    # 40 minutes of questions from the floor: one asker per two minutes.
    long = parse_agenda(
        "0:00:00 Welcome\n0:30:00 Questions from the floor\n1:10:00 Closing", manifest.speakers
    )
    assert speaker_hints(manifest, long)["max_speakers"] == 6 + 20
    # Two open sessions add up; the last item's length is unknown, so it adds the minimum.
    two = parse_agenda(
        "0:00:00 Welcome\n0:30:00 Q&A with participants\n0:50:00 Session two\n"
        "1:30:00 Open discussion with the audience",
        manifest.speakers,
    )
    assert speaker_hints(manifest, two)["max_speakers"] == 6 + 10 + OPEN_QA_MIN_VOICES


def test_a_panel_of_named_people_opens_no_floor() -> None:
    manifest = load_manifest(DEMO / "manifest.yaml")
    agenda = parse_agenda(
        "00:00 Panel discussion moderated by Karen Højgaard\n00:30 Closing", manifest.speakers
    )
    assert speaker_hints(manifest, agenda)["max_speakers"] == len(manifest.speakers) + 1


def test_an_agenda_alone_bounds_the_count_by_the_people_it_names() -> None:
    agenda = parse_agenda(
        "00:00 Welcome by Anna Kowalska\n00:05 Talk by Ben Okafor\n00:30 Q&A with participants", []
    )
    assert speaker_hints(Manifest(), agenda) == {"min_speakers": 2, "max_speakers": 2 + OPEN_QA_MIN_VOICES}


def test_the_floor_keeps_every_named_voice_apart() -> None:
    manifest = Manifest(speakers=_people(20))
    agenda = parse_agenda(
        "\n".join(f"00:{i:02d}:00 Talk by Person {i}" for i in range(20)), manifest.speakers
    )
    assert speaker_hints(manifest, agenda) == {"min_speakers": 20, "max_speakers": 21}
