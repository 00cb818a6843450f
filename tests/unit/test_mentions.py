"""Where a resource's title is said (ingest/mentions.py), on synthetic segments and on the demo."""

from __future__ import annotations

import msgspec

from ingest.agenda import parse_agenda
from ingest.document import Segment, Transcript, Word
from ingest.mentions import LEAD_IN, find_mention, same_word, title_words
from ingest.structure import structure
from tests.site_data import DEMO_DIR, demo_manifest, demo_transcript

GUIDE = "PORTIS shore power guide"


def segment(index: int, start: float, text: str, *, step: float = 0.5, timed: bool = True) -> Segment:
    """A segment whose words follow each other every `step` seconds from `start`."""
    words = [Word(start + i * step, start + i * step + 0.4, f" {t}", 0.9) for i, t in enumerate(text.split())]
    end = words[-1].end if words else start
    return Segment(id=index, start=start, end=end, text=text, words=words if timed else [])


def at(segments: list[Segment], word: str) -> float:
    """The time of the first word of the segments that reads `word`."""
    return next(w.start for s in segments for w in s.words if w.text.strip(" ,.") == word)


def test_the_title_said_beats_the_project_named_earlier() -> None:
    segments = [
        segment(0, 10.0, "Our first speaker leads the PORTIS project. He is here today."),
        segment(1, 60.0, "PORTIS built a shore connection in Gdynia for ferries."),
        segment(
            2,
            90.0,
            "It went well. All of this is described in the PORTIS shore power guide, which you can read.",
        ),
    ]
    mention = find_mention(GUIDE, segments)
    assert mention is not None
    assert mention.segment == 2
    assert mention.score == 1.0
    assert mention.word_start == at(segments[2:], "PORTIS")
    assert mention.start == at(segments[2:], "All")  # the sentence holding it, not the segment
    assert mention.start < mention.word_start


def test_case_accents_hyphens_and_stop_words_do_not_matter() -> None:
    segments = [segment(0, 5.0, "Download the Pórtis SHORE-POWER guide from our website.")]
    mention = find_mention(GUIDE, segments)
    assert mention is not None
    assert mention.score == 1.0
    assert mention.start == 5.0
    assert title_words("The Guide to the PORTIS shore power") == ["guide", "portis", "shore", "power"]


def test_a_partial_title_counts_only_when_the_whole_is_never_said() -> None:
    partial = segment(0, 20.0, "The shore power guide explains the tariff.")
    whole = segment(1, 200.0, "Again: the PORTIS shore power guide is online.")
    only_partial = find_mention(GUIDE, [partial])
    assert only_partial is not None
    assert only_partial.score == 0.75
    assert only_partial.start == 20.0
    both = find_mention(GUIDE, [partial, whole])
    assert both is not None
    assert both.segment == 1
    assert both.start == 200.0


def test_title_words_scattered_in_a_sentence_are_no_mention() -> None:
    segments = [
        segment(0, 40.0, "PORTIS stands for Ports Integrating Shore power, around the Baltic."),
        segment(1, 80.0, "Marek, could the PORTIS tariff model work for fishing harbours? A regional guide."),
        segment(2, 120.0, "The PORTIS project builds shore power."),  # three of four, not said together
    ]
    assert find_mention(GUIDE, segments) is None


def test_a_title_never_said_has_no_mention() -> None:
    segments = [segment(0, 0.0, "The AGROCIRC project heats villages with pruning waste.")]
    assert find_mention("AGROCIRC pilot report", segments) is None
    assert find_mention("", segments) is None
    assert find_mention("The", segments) is None  # nothing but stop words


def test_short_titles_need_every_word_and_long_words_forgive_a_typo() -> None:
    segments = [segment(0, 3.0, "Look at the pilot results of Agrocirk in Extremadura.")]
    assert find_mention("AGROCIRC pilot report", segments) is None  # two of three, not adjacent
    near = find_mention("AGROCIRC pilot report", [segment(0, 3.0, "Read the Agrocirk pilot reports soon.")])
    assert near is not None
    assert near.score == 1.0
    assert same_word("reports", "report")
    assert same_word("agrocirk", "agrocirc")
    assert not same_word("port", "portis")
    assert not same_word("guide", "guides!")  # tokens are folded before they get here


def test_a_misheard_project_name_may_go_unsaid_when_the_rest_of_the_title_is_said() -> None:
    """Recognisers mangle project acronyms more than any other word ("the Agresser Pilot
    Report", heard on a machine whose model read the demo's last sentence so). A known project's
    name may go unsaid when two other title words are said together; an ordinary word may not."""
    said = [segment(0, 260.0, "The recording and the Agresser Pilot Report will be on our website.")]
    assert find_mention("AGROCIRC pilot report", said) is None  # no project known: every word
    found = find_mention("AGROCIRC pilot report", said, optional={"agrocirc"})
    assert found is not None
    assert found.start == 260.0  # the sentence's start
    assert found.score == 2 / 3  # the full title said elsewhere would still win
    # The report's other words are required, project or not: "the AGROCIRC pilot" is the pilot.
    pilot = [segment(0, 3.0, "Look at the AGROCIRC pilot in Extremadura.")]
    assert find_mention("AGROCIRC pilot report", pilot, optional={"agrocirc"}) is None
    # One word is never enough, however short the title.
    assert (
        find_mention("AGROCIRC report", [segment(0, 3.0, "The report is out.")], optional={"agrocirc"})
        is None
    )


def test_a_title_whose_rest_is_another_resources_needs_its_project_name() -> None:
    """Two projects' "pilot report": "the pilot report" alone names neither, so each needs its
    project's name said (`structure` passes no optional words for such titles)."""
    from ingest.metadata import Manifest, Person, ResourceLink

    segments = [segment(0, 10.0, "Both teams wrote a pilot report on the results.")]
    raw = Transcript("en", 20.0, "test", segments)
    people = [Person("Ana Ribeiro", "speaker", "", "PORTIS"), Person("Javier Gil", "speaker", "", "AGROCIRC")]
    both = [
        ResourceLink("PORTIS pilot report", "https://e.org/p"),
        ResourceLink("AGROCIRC pilot report", "https://e.org/a"),
    ]
    out = structure(raw, Manifest(speakers=people, resources=both), [], None)
    assert [r.start for r in out.resources] == [None, None]  # "a pilot report" names neither
    alone = structure(raw, Manifest(speakers=people, resources=both[1:]), [], None)
    assert [r.start for r in alone.resources] == [10.0]  # the only report with those words


def test_segments_without_word_times_give_the_segments_start() -> None:
    segments = [
        segment(0, 12.0, "Nothing here."),
        segment(1, 30.0, "See the PORTIS shore power guide.", timed=False),
    ]
    mention = find_mention(GUIDE, segments)
    assert mention is not None
    assert mention.start == mention.word_start == 30.0


def test_a_long_sentence_plays_from_the_word_itself() -> None:
    long_sentence = " ".join(["and"] * 60) + " the PORTIS shore power guide."
    segments = [segment(0, 0.0, long_sentence)]
    mention = find_mention(GUIDE, segments)
    assert mention is not None
    assert mention.word_start > LEAD_IN
    assert mention.start == mention.word_start


def test_the_demo_resources_are_mentioned_where_their_titles_are_said() -> None:
    """The demo's guide is named at 1:32 and its report at 4:25, though both projects are first
    named at 0:17 ("...who leads the PORTIS project"); the programme at 0:01."""
    built = demo_transcript()
    raw = Transcript(
        built.language,
        built.duration,
        built.model,
        [
            msgspec.structs.replace(s, kind="other", chapter=None, answers=None, resources=[])
            for s in built.segments
        ],
    )
    manifest = demo_manifest()
    agenda = parse_agenda((DEMO_DIR / "agenda.txt").read_text(encoding="utf-8"), manifest.speakers)
    out = structure(raw, manifest, [], agenda)
    starts = {r.title: r.start for r in out.resources}
    assert starts["PORTIS shore power guide"] == 92.839  # "All of this is described in the PORTIS..."
    assert starts["AGROCIRC pilot report"] == 265.741  # "The recording, the PORTIS shore power guide and..."
    assert starts["Regional Cooperation Programme"] == 1.2
    # Segments still record every resource they name, by title or by project.
    named = [s.start for s in out.segments if 0 in s.resources]
    assert named[0] < 20
    assert any(s.start <= 92.839 < s.end + 1 and 0 in s.resources for s in out.segments)
