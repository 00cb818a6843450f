"""The timing overview staff write, read into agenda items (ingest/agenda/)."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.agenda import (
    AUDIENCE,
    AgendaError,
    AgendaItem,
    AgendaWarning,
    match_speaker,
    parse_agenda,
    parse_time,
    read_agenda,
)
from ingest.agenda.times import clock_start
from ingest.document import SEGMENT_KINDS
from ingest.metadata import AgendaEntry, Person
from ingest.textutil import normalise_name

SPEAKERS = [
    Person(name="Maria Jensen", role="moderator", affiliation="Platform"),
    Person(name="Tomasz Nowak", project="ReCircle"),
    Person(name="Ana Ribeiro", project="GreenPorts"),
]

DESIGN_EXAMPLE = """\
  • 00:00:05 - Welcome by Maria Jensen, programme officer
  • 00:04:12 - Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project)
  • 00:21:40 - Question from Maria Jensen to Tomasz Nowak on tender criteria
  • 00:24:03 - Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot
  • 00:39:55 - Question from the audience to Ana Ribeiro on costs
  • 00:43:10 - Questions and panel discussion moderated by Maria Jensen
"""

DESIGN_ITEMS = [
    AgendaItem(
        at=5.0,
        title="Welcome by Maria Jensen, programme officer",
        kind="intro",
        speakers=["Maria Jensen"],
    ),
    AgendaItem(
        at=252.0,
        title="Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project)",
        kind="presentation",
        speakers=["Tomasz Nowak"],
        projects=["ReCircle"],
    ),
    AgendaItem(
        at=1300.0,
        title="Question from Maria Jensen to Tomasz Nowak on tender criteria",
        kind="question",
        speakers=["Maria Jensen", "Tomasz Nowak"],
        asker="Maria Jensen",
        answerer="Tomasz Nowak",
    ),
    AgendaItem(
        at=1443.0,
        title="Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot",
        kind="presentation",
        speakers=["Ana Ribeiro"],
        projects=["GreenPorts"],
    ),
    AgendaItem(
        at=2395.0,
        title="Question from the audience to Ana Ribeiro on costs",
        kind="question",
        speakers=["Ana Ribeiro"],
        asker=AUDIENCE,
        answerer="Ana Ribeiro",
    ),
    AgendaItem(
        at=2590.0,
        title="Questions and panel discussion moderated by Maria Jensen",
        kind="panel",
        speakers=["Maria Jensen"],
        moderator="Maria Jensen",
    ),
]


def one(line: str, speakers: list[Person] | None = None) -> AgendaItem:
    items = parse_agenda(line, SPEAKERS if speakers is None else speakers)
    assert len(items) == 1
    return items[0]


def problems_of(agenda: str | list[AgendaEntry]) -> list[tuple[int, str, str]]:
    with pytest.raises(AgendaError) as caught:
        parse_agenda(agenda, SPEAKERS)
    return caught.value.problems


# --------------------------------------------------------------------------------------------
# The design notes' example agenda and layout variants


def test_design_example_reads_exactly() -> None:
    assert parse_agenda(DESIGN_EXAMPLE, SPEAKERS) == DESIGN_ITEMS


@pytest.mark.parametrize("bullet", ["•", "-", "*", "–", "—", "1.", "1)", "(1)", "a)", "·", "▪", ""])
def test_every_bullet_kind_gives_the_same_items(bullet: str) -> None:
    lines = [line.strip().removeprefix("• ") for line in DESIGN_EXAMPLE.splitlines()]
    text = "\n".join(f"{bullet} {line}" if bullet else line for line in lines)
    assert parse_agenda(text, SPEAKERS) == DESIGN_ITEMS


@pytest.mark.parametrize("separator", [" - ", " – ", " — ", ": ", ":", " ", "  -  ", " | ", " -"])
def test_every_separator_gives_the_same_items(separator: str) -> None:
    lines = []
    for line in DESIGN_EXAMPLE.splitlines():
        time, _, title = line.strip().removeprefix("• ").partition(" - ")
        lines.append(f"• {time}{separator}{title}")
    assert parse_agenda("\n".join(lines), SPEAKERS) == DESIGN_ITEMS


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("00:04:12", 252.0), ("0:04:12", 252.0), ("1:04:12", 3852.0), ("04:12", 252.0), ("4:12", 252.0)],
)
def test_time_formats(written: str, seconds: float) -> None:
    assert one(f"- {written} - Keynote by Tomasz Nowak").at == seconds


def test_minutes_and_seconds_agenda() -> None:
    text = "00:05 Welcome by Maria Jensen\n04:12 Keynote by Tomasz Nowak\n43:10 Panel discussion"
    assert [item.at for item in parse_agenda(text, SPEAKERS)] == [5.0, 252.0, 2590.0]


def test_wrapped_lines_continue_the_title() -> None:
    text = """\
• 00:04:12 - Keynote: circular procurement in small
    municipalities, by Tomasz Nowak
    (ReCircle project)
• 00:24:03 - Ana Ribeiro from the GreenPorts project presents
  the port of Aveiro pilot
"""
    items = parse_agenda(text, SPEAKERS)
    assert items == [DESIGN_ITEMS[1], DESIGN_ITEMS[3]]


def test_a_title_may_start_on_the_next_line() -> None:
    assert one("00:04:12 -\n   Keynote by Tomasz Nowak").title == "Keynote by Tomasz Nowak"


def test_blank_lines_and_stray_whitespace_are_ignored() -> None:
    spaced = "\n\n   \n" + DESIGN_EXAMPLE.replace("\n", "\n\n \t\n") + "\n\n"
    assert parse_agenda(spaced.replace(" - ", "   -\t"), SPEAKERS) == DESIGN_ITEMS


def test_windows_line_endings() -> None:
    assert parse_agenda(DESIGN_EXAMPLE.replace("\n", "\r\n"), SPEAKERS) == DESIGN_ITEMS


def test_title_whitespace_collapsed() -> None:
    assert one("00:01:00 -   Coffee \t  break  ").title == "Coffee break"


def test_time_ranges_keep_the_start() -> None:
    item = one("00:43:10 – 00:58:00  Panel discussion moderated by Maria Jensen")
    assert item.at == 2590.0
    assert item.title == "Panel discussion moderated by Maria Jensen"


def test_colon_glued_to_title() -> None:
    item = one("00:04:12:Keynote by Tomasz Nowak")
    assert (item.at, item.title, item.speakers) == (252.0, "Keynote by Tomasz Nowak", ["Tomasz Nowak"])


def test_fractional_seconds() -> None:
    assert one("00:04:12.5 Keynote").at == 252.5


# --------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("speaker", "written"),
    [
        ("José García", "Jose Garcia"),
        ("Jose Garcia", "José García"),
        ("Łukasz Żółć", "Lukasz Zolc"),
        ("Søren Ærø", "Soren Aero"),
        ("Zoë Müller", "ZOË MULLER"),
        ("Ana Ribeiro", "ana ribeiro"),
        ("François Le Goff", "Francois le Goff"),
    ],
)
def test_names_match_ignoring_case_and_accents(speaker: str, written: str) -> None:
    item = one(f"00:10:00 - Talk on ports by {written}", [Person(name=speaker)])
    assert item.speakers == [speaker]
    assert item.unmatched == []


def test_accents_in_decomposed_text() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "00:10:00 - Keynote by José García")
    assert one(text, [Person(name="José García")]).speakers == ["José García"]


@pytest.mark.parametrize(
    "written", ["Nowak", "Tomasz", "NOWAK", "Dr Tomasz Nowak", "Prof. Nowak", "T. Nowak"]
)
def test_partial_mentions_match_when_unambiguous(written: str) -> None:
    assert one(f"00:10:00 - Keynote by {written}").speakers == ["Tomasz Nowak"]


def test_middle_name_may_be_left_out() -> None:
    people = [Person(name="Maria Kirstine Jensen")]
    assert one("00:10:00 Welcome by Maria Jensen", people).speakers == ["Maria Kirstine Jensen"]


def test_ambiguous_partial_mentions_match_nobody() -> None:
    people = [Person(name="Maria Jensen"), Person(name="Peter Jensen")]
    item = one("00:10:00 - Keynote by Jensen", people)
    assert item.speakers == []
    assert item.unmatched == []


def test_unknown_full_names_are_returned_unmatched() -> None:
    item = one("00:58:00 - Closing remarks by Jan van der Berg")
    assert item.speakers == ["Jan van der Berg"]
    assert item.unmatched == ["Jan van der Berg"]
    assert item.kind == "other"


def test_unknown_single_words_are_not_taken_for_names() -> None:
    assert one("00:10:00 Keynote by Eurostat").speakers == []


@pytest.mark.parametrize(
    "title",
    [
        "Presentation by the project team",
        "Step by step: procurement in practice",
        "Results Supported By EU Funding",
        "Keynote by The Partners Network",
        "Coffee break",
        "Circular Procurement In Small Municipalities",
        "Opening Remarks",
        "Panel: The Future Of Ports",
        "Results (Part 2)",
    ],
)
def test_ordinary_words_are_not_invented_as_names(title: str) -> None:
    item = one(f"00:10:00 - {title}")
    assert item.speakers == []
    assert item.unmatched == []


def test_welcome_by_with_role() -> None:
    item = one("00:00:05 - Welcome by Maria Jensen, programme officer")
    assert (item.kind, item.speakers) == ("intro", ["Maria Jensen"])


def test_closing_remarks_by_known_speaker() -> None:
    item = one("01:00:00 - Closing remarks by Maria Jensen")
    assert (item.kind, item.speakers, item.unmatched) == ("other", ["Maria Jensen"], [])


def test_name_in_parentheses_project() -> None:
    item = one("00:10:00 - Ana Ribeiro (GreenPorts project): the Aveiro pilot")
    assert item.speakers == ["Ana Ribeiro"]
    assert item.projects == ["GreenPorts"]


def test_unknown_presenter_from_a_project() -> None:
    item = one("00:10:00 - Kari Nordmann from the Blue Growth project presents the fjord pilot")
    assert item.speakers == ["Kari Nordmann"]
    assert item.unmatched == ["Kari Nordmann"]
    assert item.projects == ["Blue Growth"]
    assert item.kind == "presentation"


def test_several_presenters() -> None:
    item = one("00:10:00 - Joint talk by Ana Ribeiro and Tomasz Nowak")
    assert item.speakers == ["Ana Ribeiro", "Tomasz Nowak"]


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Closing remarks by Dr. Hans-Peter Müller-Lüdenscheidt", "Dr. Hans-Peter Müller-Lüdenscheidt"),
        ("Closing remarks by J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Keynote by O'Brien McDonald", "O'Brien McDonald"),
        ("Question from Mr. Smith to Ana Ribeiro", "Mr. Smith"),
    ],
)
def test_unknown_names_keep_their_written_form(title: str, name: str) -> None:
    item = one(f"00:10:00 - {title}")
    assert item.speakers[0] == name
    assert item.unmatched == [name]


def test_presenter_named_after_a_dash() -> None:
    item = one("00:10:00 - The Aveiro pilot - Ana Ribeiro")
    assert (item.speakers, item.kind, item.title) == (
        ["Ana Ribeiro"],
        "presentation",
        "The Aveiro pilot - Ana Ribeiro",
    )


def test_presenter_named_before_a_colon() -> None:
    item = one("00:10:00 - Ana Ribeiro: the port of Aveiro pilot")
    assert (item.speakers, item.kind) == (["Ana Ribeiro"], "presentation")


# --------------------------------------------------------------------------------------------
# Questions and panels


@pytest.mark.parametrize(
    "asker_text", ["the audience", "the Audience", "audience", "a participant", "the floor", "the chat"]
)
def test_audience_questions(asker_text: str) -> None:
    item = one(f"00:39:55 - Question from {asker_text} to Ana Ribeiro on costs")
    assert (item.kind, item.asker, item.answerer, item.speakers) == (
        "question",
        AUDIENCE,
        "Ana Ribeiro",
        ["Ana Ribeiro"],
    )


def test_audience_question_without_addressee() -> None:
    item = one("00:39:55 - Question from the audience on costs")
    assert (item.kind, item.asker, item.answerer, item.speakers) == ("question", AUDIENCE, None, [])


def test_question_written_to_before_from() -> None:
    item = one("00:21:40 - Question to Tomasz Nowak from Maria Jensen about tender criteria")
    assert (item.asker, item.answerer, item.speakers) == (
        "Maria Jensen",
        "Tomasz Nowak",
        ["Maria Jensen", "Tomasz Nowak"],
    )


def test_question_from_an_unknown_person() -> None:
    item = one("00:21:40 - Question from Jane Doe to Nowak on criteria")
    assert (item.asker, item.answerer) == ("Jane Doe", "Tomasz Nowak")
    assert item.speakers == ["Jane Doe", "Tomasz Nowak"]
    assert item.unmatched == ["Jane Doe"]


def test_panel_with_moderator_last() -> None:
    item = one("00:43:10 - Panel discussion with Ana Ribeiro and Tomasz Nowak, moderated by Maria Jensen")
    assert item.kind == "panel"
    assert item.moderator == "Maria Jensen"
    assert item.speakers == ["Ana Ribeiro", "Tomasz Nowak", "Maria Jensen"]


@pytest.mark.parametrize("phrase", ["moderated by", "chaired by", "facilitated by", "moderator:"])
def test_moderator_phrases(phrase: str) -> None:
    item = one(f"00:43:10 - Q&A session {phrase} Maria Jensen")
    assert (item.kind, item.moderator, item.speakers) == ("panel", "Maria Jensen", ["Maria Jensen"])


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Welcome by Maria Jensen", "intro"),
        ("Opening of the webinar", "intro"),
        ("Introduction to the ReCircle project", "intro"),
        ("Keynote: circular procurement", "presentation"),
        ("Ana Ribeiro presents the pilot", "presentation"),
        ("Presentation of the GreenPorts results", "presentation"),
        ("Tender criteria in practice, by Tomasz Nowak", "presentation"),
        ("Question from Maria Jensen to Tomasz Nowak", "question"),
        ("Questions and panel discussion", "panel"),
        ("Q&A session", "panel"),
        ("Panel", "panel"),
        ("Closing remarks by Maria Jensen", "other"),
        ("Coffee break", "other"),
        ("Networking", "other"),
    ],
)
def test_kinds(title: str, kind: str) -> None:
    assert one(f"00:10:00 - {title}").kind == kind


@pytest.mark.parametrize(
    ("title", "projects"),
    [
        ("Lessons from the GreenPorts project and the Blue Growth project", ["GreenPorts", "Blue Growth"]),
        ("Best practices from the Interreg Baltic Sea Region project", ["Interreg Baltic Sea Region"]),
        ("Keynote by Tomasz Nowak, ReCircle project coordinator", ["ReCircle"]),
        ("Results of an EU project", []),
        ("Our project in practice", []),
    ],
)
def test_projects_mentioned(title: str, projects: list[str]) -> None:
    assert one(f"00:10:00 - {title}").projects == projects


# --------------------------------------------------------------------------------------------
# Malformed written agendas


def test_minutes_over_59_names_the_line() -> None:
    text = "00:00:05 - Welcome\n00:10:00 - Keynote\n00:61:00 - Talk\n"
    with pytest.raises(AgendaError) as caught:
        parse_agenda(text, SPEAKERS)
    assert caught.value.problems == [(3, "00:61:00 - Talk", "minutes must be below 60")]
    assert "line 3: '00:61:00 - Talk': minutes must be below 60" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("00:10:75 - Talk", "seconds must be below 60"),
        ("75:10 - Talk", "minutes must be below 60"),
        ("00:4x:12 - Talk", "'4x' in '00:4x:12' is not a number"),
        ("0O:04:12 - Talk", "'0O' in '0O:04:12' is not a number"),
        ("00:04:1 - Talk", "seconds must have two digits"),
        ("00:4:12 - Talk", "minutes must have two digits"),
        ("100:04:12 - Talk", "hours must have one or two digits"),
        ("1:2:3:4 - Talk", "'1:2:3:4' is not a time (expected HH:MM:SS, H:MM:SS or MM:SS)"),
    ],
)
def test_invalid_times(line: str, why: str) -> None:
    assert problems_of(f"00:00:01 - Welcome\n{line}") == [(2, line, why)]


def test_time_going_backwards() -> None:
    text = "00:10:00 - Keynote\n00:05:00 - Welcome"
    assert problems_of(text) == [(2, "00:05:00 - Welcome", "time goes back before 00:10:00 on line 1")]


def test_time_repeated() -> None:
    text = "00:10:00 - Keynote\n\n00:10:00 - Talk"
    assert problems_of(text) == [(3, "00:10:00 - Talk", "time repeats 00:10:00 on line 1")]


def test_item_without_a_title() -> None:
    assert problems_of("00:10:00 - Keynote\n• 00:20:00 -") == [(2, "• 00:20:00 -", "no title after the time")]


def test_text_before_any_item_is_skipped_with_a_warning() -> None:
    # Was an error ("text before the first timed item"); pasted overviews start with prose.
    parsed = read_agenda("Timing overview\n00:10:00 - Keynote", SPEAKERS)
    assert [item.title for item in parsed.items] == ["Keynote"]
    assert parsed.warnings == [AgendaWarning(line=1, text="Timing overview", why="skipped (no time)")]


@pytest.mark.parametrize("text", ["", "   ", "\n\n \t\n"])
def test_empty_agenda(text: str) -> None:
    with pytest.raises(AgendaError, match="the agenda has no timed items"):
        parse_agenda(text, SPEAKERS)


def test_every_problem_is_reported_at_once() -> None:
    text = """\
Timing overview
• 00:00:05 - Welcome
• 00:61:00 - Keynote
• 00:10:00 -
• 00:09:00 - Talk
• 00:30:00 - Panel
"""
    with pytest.raises(AgendaError) as caught:
        parse_agenda(text, SPEAKERS)
    assert [(number, why) for number, _, why in caught.value.problems] == [
        (3, "minutes must be below 60"),
        (4, "no title after the time"),
        (5, "time goes back before 00:10:00 on line 4"),
    ]
    # Line 1 used to be an error too; prose before the items is now skipped with a warning.
    assert [warning.line for warning in caught.value.warnings] == [1]
    message = str(caught.value)
    for number in (3, 4, 5):
        assert f"line {number}: " in message
    assert "\n" not in message


# --------------------------------------------------------------------------------------------
# Structured agendas


def test_structured_agenda_gives_the_same_items() -> None:
    entries = [
        AgendaEntry(at=5, title="Welcome by Maria Jensen, programme officer"),
        AgendaEntry(
            at="00:04:12",
            title="Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project)",
        ),
        AgendaEntry(at=1300.0, title="Question from Maria Jensen to Tomasz Nowak on tender criteria"),
        AgendaEntry(
            at="24:03", title="Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot"
        ),
        AgendaEntry(at="0:39:55", title="Question from the audience to Ana Ribeiro on costs"),
        AgendaEntry(at=2590, title="Questions  and panel discussion moderated by Maria Jensen "),
    ]
    assert parse_agenda(entries, SPEAKERS) == DESIGN_ITEMS


def test_structured_kind_wins_and_speakers_are_canonical() -> None:
    entry = AgendaEntry(
        at=60, title="The port of Aveiro", kind=" Presentation", speakers=["ana ribeiro", "Kim Lee"]
    )
    [item] = parse_agenda([entry], SPEAKERS)
    assert (item.kind, item.speakers, item.unmatched) == (
        "presentation",
        ["Ana Ribeiro", "Kim Lee"],
        ["Kim Lee"],
    )


def test_structured_kind_overrides_wording() -> None:
    [item] = parse_agenda([AgendaEntry(at=60, title="Welcome", kind="other")], SPEAKERS)
    assert item.kind == "other"


def test_structured_entry_speakers_come_first() -> None:
    entry = AgendaEntry(at=60, title="Keynote by Tomasz Nowak", speakers=["Ribeiro"])
    assert parse_agenda([entry], SPEAKERS)[0].speakers == ["Ana Ribeiro", "Tomasz Nowak"]


def test_structured_problems_are_all_named() -> None:
    entries = [
        AgendaEntry(at=-5, title="Welcome"),
        AgendaEntry(at="00:61:00", title="Keynote"),
        AgendaEntry(at=100, title="Talk", kind="lecture"),
        AgendaEntry(at=200, title="  "),
        AgendaEntry(at=150, title="Panel"),
        AgendaEntry(at=math.nan, title="Break"),
        AgendaEntry(at="soon", title="Closing"),
    ]
    with pytest.raises(AgendaError) as caught:
        parse_agenda(entries, SPEAKERS)
    problems = caught.value.problems
    assert [(number, why) for number, _, why in problems] == [
        (1, "'at' must not be negative"),
        (2, "minutes must be below 60"),
        (3, "unknown kind 'lecture' (expected one of intro, presentation, question, answer, panel, other)"),
        (4, "empty title"),
        (5, "time goes back before 00:03:20 of entry 4"),
        (6, "'at' must be a finite number of seconds"),
        (7, "'soon' is not a time (expected HH:MM:SS, H:MM:SS or MM:SS)"),
    ]
    assert "entry 3: '100 Talk': unknown kind 'lecture'" in str(caught.value)


def test_empty_structured_agenda() -> None:
    with pytest.raises(AgendaError, match="no entries"):
        parse_agenda([], SPEAKERS)


@pytest.mark.parametrize("kind", SEGMENT_KINDS)
def test_every_segment_kind_is_accepted(kind: str) -> None:
    assert parse_agenda([AgendaEntry(at=1, title="Item", kind=kind)], SPEAKERS)[0].kind == kind


# --------------------------------------------------------------------------------------------
# The helpers the structure stage reuses


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "is not a time"),
        ("12", "is not a time"),
        ("60:00", "minutes must be below 60"),
        ("00:60", "seconds must be below 60"),
        ("00:00:60", "seconds must be below 60"),
        ("-1:00", "is not a number"),
        ("１２:００", "is not a number"),
        ("00:00:00:00", "is not a time"),
    ],
)
def test_parse_time_rejects(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_time(text)


def test_parse_time_accepts() -> None:
    assert parse_time(" 01:02:03 ") == 3723.0
    assert parse_time("9:59") == 599.0


def test_normalise_name() -> None:
    assert normalise_name("  José   GARCÍA ") == "jose garcia"
    assert normalise_name("Łukasz Søren Straße") == "lukasz soren strasse"
    assert normalise_name("ﬁnn") == "finn"


def test_match_speaker() -> None:
    assert match_speaker("TOMASZ nowák", SPEAKERS) == "Tomasz Nowak"
    assert match_speaker("Ribeiro", SPEAKERS) == "Ana Ribeiro"
    assert match_speaker("Ana", SPEAKERS) == "Ana Ribeiro"
    assert match_speaker("Jane Doe", SPEAKERS) is None
    assert match_speaker("", SPEAKERS) is None
    assert match_speaker("Maria", [*SPEAKERS, Person(name="Maria Lopez")]) is None


# --------------------------------------------------------------------------------------------
# Properties

AGENDA_PIECES = st.sampled_from(
    [*"0123456789:::--–—•*.() \n\tabcXYZéÉ#", "by ", "Question from ", " to ", "Maria ", "Ana Ribeiro"]
)
AGENDA_LIKE_TEXT = st.lists(AGENDA_PIECES, max_size=80).map("".join)


@settings(max_examples=300)
@given(st.one_of(st.text(), AGENDA_LIKE_TEXT))
def test_arbitrary_text_only_raises_agenda_error(text: str) -> None:
    try:
        items = parse_agenda(text, SPEAKERS)
    except AgendaError as exc:
        error: AgendaError | None = exc
    else:
        error = None
    if error is not None:
        assert error.problems
        assert str(error).startswith("malformed agenda: ")
    else:
        assert items
        assert all(earlier.at < later.at for earlier, later in pairwise(items))


TITLE_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéøÅ,.'()&?!", min_size=1
).filter(lambda word: word[0].isalpha())


@st.composite
def written_agendas(draw: st.DrawFn) -> tuple[str, list[float], list[str]]:
    times = sorted(
        draw(st.sets(st.integers(min_value=0, max_value=99 * 3600 + 3599), min_size=1, max_size=12))
    )
    titles: list[str] = []
    lines: list[str] = []
    tokens: list[str] = []
    for seconds in times:
        words = draw(st.lists(TITLE_WORD, min_size=1, max_size=8))
        titles.append(" ".join(words))
        hours, minutes, secs = seconds // 3600, seconds % 3600 // 60, seconds % 60
        forms = [f"{hours:02d}:{minutes:02d}:{secs:02d}", f"{hours}:{minutes:02d}:{secs:02d}"]
        if hours == 0:
            forms += [f"{minutes:02d}:{secs:02d}", f"{minutes}:{secs:02d}"]
        written = draw(st.sampled_from(forms))
        tokens.append(written)
        bullet = draw(
            st.sampled_from(["", "• ", "- ", "* ", "– ", f"{len(lines) + 1}. ", f"{len(lines) + 1}) "])
        )
        separator = draw(st.sampled_from([" - ", " – ", " — ", ": ", " ", "\t-\t"]))
        cut = draw(st.integers(min_value=1, max_value=len(words)))
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        lines.append(f"{draw(st.sampled_from(['', '  ']))}{bullet}{written}{separator}{first}")
        if rest:
            lines.append(f"    {rest}")
        if draw(st.booleans()):
            lines.append("")
    # Times into the recording: an agenda that reads as wall-clock times by the documented rule
    # (`6:00`, `6:01`: two-part, a first part from 6 to 23, items seconds apart) is another case,
    # tested in test_agenda_pasted.py.
    assume(clock_start(tokens) is None)
    return "\n".join(lines), [float(t) for t in times], titles


@settings(max_examples=300)
@given(written_agendas())
def test_well_formed_agendas_read_back(agenda: tuple[str, list[float], list[str]]) -> None:
    text, times, titles = agenda
    items = parse_agenda(text, SPEAKERS)
    assert [item.at for item in items] == times
    assert [item.title for item in items] == titles
    assert all(item.kind in SEGMENT_KINDS for item in items)


@settings(max_examples=200)
@given(
    st.lists(
        st.builds(
            AgendaEntry,
            at=st.one_of(st.floats(allow_nan=True), st.text(max_size=10), st.integers(-5, 10**6)),
            title=st.text(max_size=30),
            kind=st.one_of(st.none(), st.sampled_from([*SEGMENT_KINDS, "lecture", ""])),
            speakers=st.lists(st.text(max_size=20), max_size=3),
        ),
        max_size=6,
    )
)
def test_arbitrary_structured_agendas_only_raise_agenda_error(entries: list[AgendaEntry]) -> None:
    try:
        items = parse_agenda(entries, SPEAKERS)
    except AgendaError as exc:
        error: AgendaError | None = exc
    else:
        error = None
    if error is not None:
        assert error.problems
    else:
        assert len(items) == len(entries)
        assert all(earlier.at < later.at for earlier, later in pairwise(items))
