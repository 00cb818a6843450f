"""Naming voices from cues in the words: self-introductions name a voice only when the words right
after "this is", "I'm", "I am", "here is", "my name is" are the speaker's name (synthetic input).
"""

from __future__ import annotations

import pytest

from ingest.document import Segment, Transcript, Word
from ingest.metadata import Manifest, Person
from ingest.naming import SELF_INTRODUCTION, THANKS, name_labels, word_evidence
from ingest.speakers import SpeakerTurn
from ingest.structure import structure

PEOPLE = [
    "Maria Jensen",
    "Tomasz Wiśniewski",
    "Karen Højgaard",
    "Ana Nowak",
    "Will Parker",
    "May Lindqvist",
    "Bill Okafor",
    "Speaker A",
]


def said(*lines: tuple[str, str]) -> list[Segment]:
    """One segment per (label, text), two seconds each."""
    return [
        Segment(id=n, start=2.0 * n, end=2.0 * n + 1.8, text=text, speaker=label)
        for n, (label, text) in enumerate(lines)
    ]


def introduced(text: str, people: list[str] = PEOPLE) -> dict[str, float]:
    """Self-introduction evidence for the voice saying `text` (the only voice, so no other cue)."""
    return word_evidence(said(("S0", text)), people).get("S0", {})


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("I'm Maria Jensen, and I coordinate the project.", "Maria Jensen"),
        ("Hello, this is Jensen speaking.", "Maria Jensen"),
        ("Hi, I am Tomasz from ReCircle.", "Tomasz Wiśniewski"),
        ("Hi, I am Tomasz Wisniewski from ReCircle.", "Tomasz Wiśniewski"),  # accents folded
        ("MY NAME IS KAREN HOJGAARD.", "Karen Højgaard"),
        ("hello this is sofie vandenberghe from east flanders", "Sofie Vandenberghe"),  # no capitals
        ("Good morning, my name is Nowak, Ana Nowak.", "Ana Nowak"),
        ("Hi, I’m Maria.", "Maria Jensen"),  # typographic apostrophe
        ("Hello, this is, uh, Dr. Jensen from Aarhus.", "Maria Jensen"),
        ("Hi, here is Tomasz, greetings from Gdańsk.", "Tomasz Wiśniewski"),
        ("Hi, I'm Will, and I run the pilot.", "Will Parker"),  # a common word, but capitalised
        ("Good afternoon, I'm May Lindqvist.", "May Lindqvist"),
        ("I'm called Bill Okafor by most people.", "Bill Okafor"),
    ],
)
def test_a_self_introduction_names_the_voice(text: str, person: str) -> None:
    people = [*PEOPLE, "Sofie Vandenberghe"]
    assert introduced(text, people) == {person: SELF_INTRODUCTION}


@pytest.mark.parametrize(
    "text",
    [
        "This is a bit of HTML, so bear with me.",  # "A" is the placeholder "Speaker A"
        "I'm with Karen on this.",
        "Here is the Nowak report on harbours.",
        "I'm sure May will agree with that.",
        "This is Bill's point, not mine.",
        "Here is a note from Ana about the budget.",
        "I am told Maria Jensen will join later.",
        "This is what Tomasz showed us.",
        "I'm not Jensen, I am her colleague.",
        "this is will power, nothing else",  # lower-case common word
        "I think this is may be the answer",  # transcription slip: lower-case "may"
        "And I am. Maria, can you hear me?",  # a sentence ends between cue and name
        "I'm Maria's colleague from the agency.",
        "This is Karen Højgaard, she leads the secretariat.",  # someone else presenting Karen
        "Here's Tomasz, he will tell us about ReCircle.",
    ],
)
def test_words_near_a_cue_that_are_not_a_self_introduction_name_no_one(text: str) -> None:
    assert introduced(text) == {}


def test_a_placeholder_speaker_is_never_named_from_the_words() -> None:
    people = ["Speaker A", "Speaker B", "Guest 2", "SPEAKER_00"]
    segments = said(
        ("S0", "This is a bit of HTML."),
        ("S1", "Thank you, a good point. This is speaker b speaking."),
        ("S0", "Over to you, a guest."),
    )
    assert word_evidence(segments, people) == {}


def test_a_shared_first_name_names_no_one_but_the_full_name_does() -> None:
    people = ["Maria Jensen", "Maria Nowak"]
    assert introduced("Hi, I'm Maria.", people) == {}
    assert introduced("Hi, I'm Maria Nowak.", people) == {"Maria Nowak": SELF_INTRODUCTION}


def test_a_mononym_that_is_a_common_word_needs_its_capital() -> None:
    assert introduced("Hi, this is Grace from the agency.", ["Grace"]) == {"Grace": SELF_INTRODUCTION}
    assert introduced("this is grace under pressure", ["Grace"]) == {}


def test_thanks_still_name_the_previous_voice_but_not_through_a_placeholder() -> None:
    segments = said(("S0", "That is all from me."), ("S1", "Thank you, Karen. A question."))
    assert word_evidence(segments, PEOPLE) == {"S0": {"Karen Højgaard": THANKS}}
    segments = said(("S0", "That is all from me."), ("S1", "Thank you, a lot."))
    assert word_evidence(segments, PEOPLE) == {}


def test_a_false_introduction_does_not_outweigh_what_the_voice_says_of_itself() -> None:
    """The voice that says "I'm with Karen" is not Karen; the one that says "this is Karen" is."""
    segments = said(
        ("S0", "I'm with Karen on this, it worked well for us."),
        ("S1", "Hello everyone, this is Karen Højgaard from the secretariat."),
    )
    evidence = word_evidence(segments, PEOPLE)
    assert evidence == {"S1": {"Karen Højgaard": SELF_INTRODUCTION}}
    speech = {"S0": [(0.0, 1.8)], "S1": [(2.0, 3.8)]}
    assert name_labels(speech, [], evidence) == {"S1": "Karen Højgaard"}


def test_without_an_agenda_a_placeholder_speaker_keeps_no_voice() -> None:
    """End to end: "This is a bit of HTML" used to name the voice after "Speaker A"."""
    text = "This is a bit of HTML. It renders the page for everyone."
    words = text.split()
    segment = Segment(id=0, start=0.0, end=len(words) * 0.5, text=text)
    manifest = Manifest(
        speakers=[Person("Speaker A", None, None, None), Person("Maria Jensen", None, None, None)]
    )
    segment.words = [Word(n * 0.5, n * 0.5 + 0.4, f" {w}", 0.9) for n, w in enumerate(words)]
    transcript = Transcript(language="en", duration=10.0, model="synthetic", segments=[segment])
    out = structure(transcript, manifest, [SpeakerTurn(0.0, segment.end, "S0")], None)
    assert [s.name for s in out.speakers] == [None]


def test_a_real_phone_call_names_each_caller_from_her_own_introduction() -> None:
    """The lines tiny.en heard in tests/data/real/sample.opus (real speech): "I'm originally
    from Chicago" and "I'm in New Jersey now" follow the cue with no name and name no one."""
    people = ["Diane", "Sheila"]
    segments = said(
        ("S0", "I thought, you know, I heard a beat. This is Diane in New Jersey."),
        ("S1", "And I'm Sheila and Texas originally from Chicago."),
        ("S2", "Oh, I'm originally from Chicago also. I'm in New Jersey now, though."),
        ("S1", "Well, there isn't that much difference."),
    )
    assert word_evidence(segments, people) == {
        "S0": {"Diane": SELF_INTRODUCTION},
        "S1": {"Sheila": SELF_INTRODUCTION},
    }
