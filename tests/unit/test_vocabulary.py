"""Near-miss spellings of the event's names are snapped to the known spelling, nothing else is."""

from __future__ import annotations

from ingest.document import Segment, Transcript, Word
from ingest.vocabulary import build_prompt, snap_to_vocabulary

VOCABULARY = ["Extremadura", "Kent County Council", "Tomasz Nowak", "GreenPorts", "INTRA"]


def _transcript(text: str) -> Transcript:
    words = [
        Word(start=float(i), end=i + 0.8, text=f" {token}", probability=0.8)
        for i, token in enumerate(text.split())
    ]
    segment = Segment(id=0, start=0.0, end=len(words) + 0.0, text=text, words=words)
    return Transcript(language="en", duration=60.0, model="test", segments=[segment])


def _snapped(text: str) -> Segment:
    return snap_to_vocabulary(_transcript(text), VOCABULARY).segments[0]


def test_split_and_misspelt_names_become_the_known_term_with_their_times() -> None:
    segment = _snapped("the region of Extra Madura and the Kent County council.")
    assert segment.text == "the region of Extremadura and the Kent County Council."
    merged = next(w for w in segment.words if w.text.strip() == "Extremadura")
    assert (merged.start, merged.end) == (3.0, 4.8)  # spans the two words it replaced


def test_near_miss_single_word_is_snapped() -> None:
    assert _snapped("I work in Extremadira today").text == "I work in Extremadura today"
    assert _snapped("the Green Ports pilot").text == "the GreenPorts pilot"
    assert _snapped("Tomas Novak presents").text == "Tomasz Nowak presents"


def test_ordinary_words_are_left_alone() -> None:
    text = "we went into the extra mile with the county and the council"
    assert _snapped(text).text == text
    assert _snapped("intro to the topic").text == "intro to the topic"


def test_prompt_names_the_terms_and_is_bounded() -> None:
    prompt = build_prompt(VOCABULARY)
    assert prompt == "Extremadura, Kent County Council, Tomasz Nowak, GreenPorts, INTRA."
    assert len(build_prompt(["x" * 50] * 100) or "") <= 600
    assert build_prompt([" "]) is None


def test_prompt_names_each_name_once_and_never_cuts_one() -> None:
    prompt = build_prompt(["Marek Wójcik", "PORTIS", "portis", " Marek  Wójcik ", "AGROCIRC"])
    assert prompt == "Marek Wójcik, PORTIS, AGROCIRC."
    long = build_prompt([f"Name{i:03d} Surname" for i in range(100)]) or ""
    assert len(long) <= 600
    assert long.endswith("Surname.")
