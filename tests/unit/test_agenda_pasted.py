"""Timing overviews as staff paste them from event pages: prose around the items, ranges, times
after titles, mixed bullets (ingest/agenda/lines.py), and the warnings for what was skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.agenda import AgendaError, AgendaItem, AgendaWarning, ParsedAgenda, parse_time, read_agenda
from ingest.agenda.times import two_part_as_hours
from ingest.document import Transcript
from ingest.metadata import AgendaEntry, Person
from ingest.probe import MediaInfo

SPEAKERS = [
    Person(name="Maria Jensen", role="moderator", affiliation="Platform"),
    Person(name="Tomasz Nowak", project="ReCircle"),
    Person(name="Ana Ribeiro", project="GreenPorts"),
]

DESIGN_TIMES = [5.0, 252.0, 1300.0, 1443.0, 2395.0, 2590.0]
DESIGN_TITLES = [
    "Welcome by Maria Jensen, programme officer",
    "Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project)",
    "Question from Maria Jensen to Tomasz Nowak on tender criteria",
    "Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot",
    "Question from the audience to Ana Ribeiro on costs",
    "Questions and panel discussion moderated by Maria Jensen",
]

INTRO = (
    "In order to facilitate the navigation through the webinar, we present you with a short "
    "overview of timing:"
)


def read(text: str) -> ParsedAgenda:
    return read_agenda(text, SPEAKERS)


def skipped(parsed: ParsedAgenda | AgendaError) -> list[tuple[int, str]]:
    return [(warning.line, warning.text) for warning in parsed.warnings]


def problems_of(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(AgendaError) as caught:
        read(text)
    return caught.value.problems


# --------------------------------------------------------------------------------------------
# Whole overviews as event pages present them


def test_event_page_overview_with_its_own_sentence() -> None:
    text = f"""\
{INTRO}

  • 00:00:05 - Welcome by Maria Jensen, programme officer
  • 00:04:12 - Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project)
  • 00:21:40 - Question from Maria Jensen to Tomasz Nowak on tender criteria
  • 00:24:03 - Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot
  • 00:39:55 - Question from the audience to Ana Ribeiro on costs
  • 00:43:10 - Questions and panel discussion moderated by Maria Jensen
"""
    parsed = read(text)
    assert [item.at for item in parsed.items] == DESIGN_TIMES
    assert [item.title for item in parsed.items] == DESIGN_TITLES
    assert parsed.warnings == [AgendaWarning(line=1, text=INTRO, why="skipped (no time)")]
    assert str(parsed.warnings[0]) == f"line 1: {INTRO!r}: skipped (no time)"


def test_overview_with_heading_notes_trailing_item_and_link() -> None:
    text = f"""\
Agenda

{INTRO}
(times are approximate)

  • 00:00:05 - Welcome by Maria Jensen, programme officer
  • 00:04:12 - Keynote: circular procurement in small municipalities,
    by Tomasz Nowak (ReCircle project)
  • 00:21:40 - Question from Maria Jensen to Tomasz Nowak on tender criteria
  • 00:24:03 - Ana Ribeiro from the GreenPorts project presents
    the port of Aveiro pilot
  • 00:39:55 - Question from the audience to Ana Ribeiro on costs
  • 00:43:10 - Questions and panel discussion moderated by Maria Jensen
  Q&A session moderated by Maria Jensen

Programme:
Slides and recording: https://events.example.org/webinars/circular-procurement
"""
    parsed = read(text)
    assert [item.at for item in parsed.items] == DESIGN_TIMES
    assert [item.title for item in parsed.items] == DESIGN_TITLES
    assert parsed.items[1].speakers == ["Tomasz Nowak"]
    assert skipped(parsed) == [
        (1, "Agenda"),
        (3, INTRO),
        (4, "(times are approximate)"),
        (14, "Q&A session moderated by Maria Jensen"),
        (16, "Programme:"),
        (17, "Slides and recording: https://events.example.org/webinars/circular-procurement"),
    ]
    assert {warning.why for warning in parsed.warnings} == {"skipped (no time)"}


def test_ranges_and_times_after_titles_with_mixed_bullets() -> None:
    text = """\
Timing overview
- 00:00:05–00:04:12 Welcome by Maria Jensen, programme officer
* Keynote: circular procurement in small municipalities, by Tomasz Nowak (ReCircle project) (00:04:12)
• 00:21:40 to 00:24:03: Question from Maria Jensen to Tomasz Nowak on tender criteria
– Ana Ribeiro from the GreenPorts project presents the port of Aveiro pilot – 00:24:03
6. Question from the audience to Ana Ribeiro on costs — 00:39:55 — 00:43:10
▪ [00:43:10 - 00:58:00] Questions and panel discussion moderated by Maria Jensen
"""
    parsed = read(text)
    assert [item.at for item in parsed.items] == DESIGN_TIMES
    assert [item.title for item in parsed.items] == DESIGN_TITLES
    assert skipped(parsed) == [(1, "Timing overview")]


def test_times_after_titles_read_names_and_kinds() -> None:
    text = """\
Welcome by Maria Jensen (00:00:05)
Keynote – 00:04:12
Panel discussion with Ana Ribeiro and Tomasz Nowak | 00:43:10
"""
    items = read(text).items
    assert [(item.at, item.title, item.kind) for item in items] == [
        (5.0, "Welcome by Maria Jensen", "intro"),
        (252.0, "Keynote", "presentation"),
        (2590.0, "Panel discussion with Ana Ribeiro and Tomasz Nowak", "panel"),
    ]
    assert items[0].speakers == ["Maria Jensen"]
    assert items[2].speakers == ["Ana Ribeiro", "Tomasz Nowak"]


def test_numbered_programme_in_minutes_and_seconds() -> None:
    text = """\
Programme:
1. 0:13 Welcome by Maria Jensen
2. 4:12 Keynote by Tomasz Nowak
3. 21:40 Question from Maria Jensen to Tomasz Nowak
4. 43:10 Panel discussion
"""
    parsed = read(text)
    assert [item.at for item in parsed.items] == [13.0, 252.0, 1300.0, 2590.0]
    assert skipped(parsed) == [(1, "Programme:")]


def test_sections_between_items_are_headings() -> None:
    text = """\
Part 1 – Presentations
• 00:00:05 - Welcome by Maria Jensen
• 00:04:12 - Keynote by Tomasz Nowak

Part 2: Discussion
• 00:39:55 - Question from the audience to Ana Ribeiro
Coffee break
• 00:43:10 - Panel discussion
"""
    parsed = read(text)
    assert [item.title for item in parsed.items] == [
        "Welcome by Maria Jensen",
        "Keynote by Tomasz Nowak",
        "Question from the audience to Ana Ribeiro",
        "Panel discussion",
    ]
    assert skipped(parsed) == [(1, "Part 1 – Presentations"), (5, "Part 2: Discussion"), (7, "Coffee break")]


def test_pasted_from_a_word_processor() -> None:
    # Non-breaking spaces, a byte-order mark, zero-width spaces, tabs and symbol-font bullets.
    text = (
        "\ufeffTiming\u00a0overview\r\n"
        "\uf0b7\t00:00:05\u00a0–\u00a0Welcome by Maria\u00a0Jensen\r\n"
        "\u200b\uf0b7\t00:04:12\u00a0–\u00a0Keynote by Tomasz Nowak\r\n"
        "\uf0b7\t00:21:40\u00a0–\u00a0Question from the audience\r\n"
    )
    parsed = read(text)
    assert [(item.at, item.title) for item in parsed.items] == [
        (5.0, "Welcome by Maria Jensen"),
        (252.0, "Keynote by Tomasz Nowak"),
        (1300.0, "Question from the audience"),
    ]
    assert skipped(parsed) == [(1, "Timing overview")]


def test_time_on_its_own_line_and_bracketed_times() -> None:
    text = """\
00:00:05
Welcome by Maria Jensen
00:04:12 -

   Keynote by Tomasz Nowak
(00:21:40) Question from the audience.
[00:43:10] Panel discussion
"""
    items = read(text).items
    assert [(item.at, item.title) for item in items] == [
        (5.0, "Welcome by Maria Jensen"),
        (252.0, "Keynote by Tomasz Nowak"),
        (1300.0, "Question from the audience."),
        (2590.0, "Panel discussion"),
    ]


# --------------------------------------------------------------------------------------------
# Wrapped titles versus prose


@pytest.mark.parametrize(
    ("first", "continuation", "joined"),
    [
        # indented deeper than the item's line
        (
            "• 00:04:12 - Keynote",
            "    Tomasz Nowak (ReCircle project)",
            "Keynote Tomasz Nowak (ReCircle project)",
        ),
        # starts in lower case
        (
            "• 00:04:12 - Keynote on tenders in",
            "small municipalities",
            "Keynote on tenders in small municipalities",
        ),
        # the line above is left open ("by", a comma, a colon, a dash)
        ("• 00:04:12 - Keynote by", "Tomasz Nowak", "Keynote by Tomasz Nowak"),
        ("00:04:12 - Keynote on tenders,", "Tomasz Nowak", "Keynote on tenders, Tomasz Nowak"),
        ("00:04:12 - Keynote:", "Circular Procurement", "Keynote: Circular Procurement"),
        # an initial is not a letter bullet
        ("00:04:12 - Keynote by", "T. Nowak", "Keynote by T. Nowak"),
    ],
)
def test_wrapped_titles_join_their_item(first: str, continuation: str, joined: str) -> None:
    parsed = read(f"{first}\n{continuation}")
    assert [item.title for item in parsed.items] == [joined]
    assert parsed.warnings == []


def test_an_unindented_capitalised_line_under_an_item_is_prose() -> None:
    parsed = read("00:04:12 - Keynote by Tomasz Nowak\nCoffee and networking afterwards")
    assert parsed.items[0].title == "Keynote by Tomasz Nowak"
    assert skipped(parsed) == [(2, "Coffee and networking afterwards")]


def test_a_note_under_an_item_ending_in_q_and_a_is_prose() -> None:
    """The "A" of "Q&A" is no article left open: the note under it is not part of its title
    (an event page's schedule, pasted as it was)."""
    parsed = read("2:00 PM – Welcome\n2:03 pm - Discussion and Q&A\n(All times CET)")
    assert [item.title for item in parsed.items] == ["Welcome", "Discussion and Q&A"]
    assert skipped(parsed) == [(3, "(All times CET)")]
    still_open = read("00:04:12 - Keynote on a\n(very) new topic")  # the article itself still is
    assert [item.title for item in still_open.items] == ["Keynote on a (very) new topic"]


def test_a_blank_line_ends_an_item() -> None:
    parsed = read("00:04:12 - Keynote by Tomasz Nowak\n\n    all times are approximate")
    assert parsed.items[0].title == "Keynote by Tomasz Nowak"
    assert skipped(parsed) == [(3, "all times are approximate")]


def test_a_bulleted_line_without_a_time_is_prose() -> None:
    parsed = read("• 00:04:12 - Keynote by Tomasz Nowak\n• Networking and drinks")
    assert skipped(parsed) == [(2, "• Networking and drinks")]


def test_indented_sub_points_continue_their_item() -> None:
    text = "• 00:43:10 - Panel discussion with\n    – Ana Ribeiro\n    – Tomasz Nowak\n• 00:58:00 - Closing"
    items = read(text).items
    assert items[0].title == "Panel discussion with – Ana Ribeiro – Tomasz Nowak"
    assert set(items[0].speakers) == {"Ana Ribeiro", "Tomasz Nowak"}
    assert items[1].title == "Closing"


def test_a_link_under_an_item_is_not_part_of_its_title() -> None:
    parsed = read("00:04:12 - Keynote by Tomasz Nowak\n    https://example.org/slides.pdf")
    assert parsed.items[0].title == "Keynote by Tomasz Nowak"
    assert skipped(parsed) == [(2, "https://example.org/slides.pdf")]


def test_a_time_in_the_middle_of_a_line_is_not_an_item() -> None:
    parsed = read("The webinar ran from 10:00 to 12:00 CET.\n• Doors open at 09:30 for coffee\n00:05 Welcome")
    assert [item.title for item in parsed.items] == ["Welcome"]
    assert [warning.why for warning in parsed.warnings] == [
        "skipped (no time at the start or the end of the line)",
        "skipped (no time at the start or the end of the line)",
    ]


def test_prose_with_an_odd_time_and_no_bullet_is_only_a_warning() -> None:
    parsed = read("Updated at 12:3x by the events team\n00:05 Welcome")
    assert [item.title for item in parsed.items] == ["Welcome"]
    assert skipped(parsed) == [(1, "Updated at 12:3x by the events team")]


def test_structured_agendas_have_no_warnings() -> None:
    assert read_agenda([AgendaEntry(at=5, title="Welcome")], SPEAKERS).warnings == []


# --------------------------------------------------------------------------------------------
# Two-part times: MM:SS, or H:MM where the agenda's order needs it


def test_two_part_times_after_hours_read_as_hours_and_minutes() -> None:
    text = "0:00:05 Welcome\n0:45:00 Keynote by Tomasz Nowak\n1:10 Panel discussion\n1:30 Closing"
    assert [item.at for item in read(text).items] == [5.0, 2700.0, 4200.0, 5400.0]


def test_two_part_times_among_hours_stay_minutes_when_in_order() -> None:
    text = "00:00:05 Welcome\n04:12 Keynote\n00:21:40 Question\n24:03 Talk"
    assert [item.at for item in read(text).items] == [5.0, 252.0, 1300.0, 1443.0]


def test_clock_time_ranges_count_from_the_first_item() -> None:
    # Read as minutes and seconds these would be 20 s apart, 13 minutes in: an event page's
    # 1 pm to 2:30 pm schedule instead.
    text = "13:00-13:20 Welcome\n13:20 to 14:05 Keynote\n14:05—14:30 Panel"
    assert [item.at for item in read(text).items] == [0.0, 1200.0, 3900.0]


def test_when_neither_reading_keeps_the_order_the_error_is_in_minutes_and_seconds() -> None:
    text = "0:45:00 Keynote\n1:10 Panel\n0:50 Closing"
    assert problems_of(text) == [
        (2, "1:10 Panel", "time goes back before 00:45:00 on line 1"),
        (3, "0:50 Closing", "time goes back before 00:45:00 on line 1"),
    ]


@pytest.mark.parametrize(
    ("times", "hours"),
    [
        (["04:12", "21:40"], False),
        (["00:00:05", "04:12"], False),
        (["0:00:05", "0:45:00", "1:10"], True),
        (["0:45:00", "1:10", "0:50"], False),
        (["0:00:05", "0:45:00", "1:1x", "1:10"], True),
        ([], False),
    ],
)
def test_two_part_as_hours(times: list[str], hours: bool) -> None:
    assert two_part_as_hours(times) is hours


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1:10", 4200.0), ("01:10", 4200.0), ("13:00", 46800.0), ("1:10:05", 4205.0)],
)
def test_parse_time_hours_first(text: str, seconds: float) -> None:
    assert parse_time(text, hours_first=True) == seconds


@pytest.mark.parametrize(
    ("text", "why"),
    [("1:7", "minutes must have two digits"), ("1:75", "minutes must be below 60"), ("1:10.5", "whole")],
)
def test_parse_time_hours_first_rejects(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_time(text, hours_first=True)


def test_zero_minutes_and_seconds() -> None:
    assert parse_time("0:13") == 13.0


# --------------------------------------------------------------------------------------------
# Lines meant as items whose time does not read stay errors


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("• 00:4:1x - Keynote", "'1x' in '00:4:1x' is not a number"),
        ("- 25:99 - Q&A", "seconds must be below 60"),
        ("• Keynote at 00:3x:00 by Tomasz Nowak", "'3x' in '00:3x:00' is not a number"),
        ("3. Keynote, 00:61:00", "minutes must be below 60"),
        ("Keynote – 00:5x:00", "'5x' in '00:5x:00' is not a number"),
        ("Keynote (00:61:00)", "minutes must be below 60"),
        ("00:10:00 - 00:1x:00 Keynote", "end of the range: '1x' in '00:1x:00' is not a number"),
        ("00:10:00 – 00:09:00 Keynote", "the range ends at 00:09:00, not after it starts"),
    ],
)
def test_unreadable_item_times_name_the_line(line: str, why: str) -> None:
    text = f"{INTRO}\n00:00:05 - Welcome\n{line}\n00:30:00 - Panel"
    with pytest.raises(AgendaError) as caught:
        read(text)
    assert caught.value.problems == [(3, line, why)]
    assert f"line 3: {line!r}: {why}" in str(caught.value)
    assert skipped(caught.value) == [(1, INTRO)]


def test_items_after_their_titles_must_still_be_in_order() -> None:
    text = "Welcome (00:00:05)\nKeynote – 00:04:12\nQuestion – 00:04:12\nPanel (00:03:00)"
    assert problems_of(text) == [
        (3, "Question – 00:04:12", "time repeats 00:04:12 on line 2"),
        (4, "Panel (00:03:00)", "time goes back before 00:04:12 on line 2"),
    ]


def test_an_overview_of_prose_only_has_no_items() -> None:
    with pytest.raises(AgendaError) as caught:
        read(f"{INTRO}\n\nAgenda\n• Welcome\n• Keynote")
    assert caught.value.problems == [(0, "", "the agenda has no timed items (4 lines were skipped: no time)")]
    assert [warning.line for warning in caught.value.warnings] == [1, 3, 4, 5]


def test_one_skipped_line_is_counted_in_the_singular() -> None:
    with pytest.raises(AgendaError, match=r"\(1 line was skipped: no time\)"):
        read("Agenda")


# --------------------------------------------------------------------------------------------
# Where the warnings surface: the pipeline's result and the CLI's standard error

DEMO = Path(__file__).parents[2] / "media" / "demo"


def _stub_stages(
    monkeypatch: pytest.MonkeyPatch, path: Path, duration: float
) -> list[list[AgendaItem] | None]:
    """The pipeline around the agenda with its model stages stubbed: a recording of `duration`
    seconds that says nothing. Returns the agendas the structure stage is given, one per run."""
    transcript = Transcript(language="en", duration=duration, model="test", segments=[])
    media = MediaInfo(path, "ogg", duration, "opus", 48000, 1, False)
    seen: list[list[AgendaItem] | None] = []

    def structure(
        written: Transcript, manifest: object, turns: object, agenda: list[AgendaItem] | None
    ) -> Transcript:
        seen.append(agenda)
        return written

    monkeypatch.setattr("ingest.pipeline.probe", lambda *args, **kwargs: media)
    monkeypatch.setattr("ingest.pipeline.load", lambda *args, **kwargs: None)
    monkeypatch.setattr("ingest.pipeline.transcribe", lambda *args, **kwargs: transcript)
    monkeypatch.setattr("ingest.pipeline._find_speakers", lambda *args: [])
    monkeypatch.setattr("ingest.pipeline._structure", structure)
    return seen


def test_cli_transcribe_prints_each_skipped_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main

    media = DEMO / "demo-webinar.opus"
    seen = _stub_stages(monkeypatch, media, 60.0)
    agenda = tmp_path / "agenda.txt"
    agenda.write_text(
        f"{INTRO}\n\n• 00:00:05 - Welcome by Karen Højgaard\n• 00:00:30 - Talk by Marek Wójcik\n"
        "(times are approximate)\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.json"
    manifest = DEMO / "manifest.yaml"
    status = main(
        [
            "transcribe",
            str(media),
            "--manifest",
            str(manifest),
            "--agenda",
            str(agenda),
            "-o",
            str(output),
        ]
    )
    err = capsys.readouterr().err
    assert status == 0
    assert f"webinar-archive: warning: agenda line 1: {INTRO!r}: skipped (no time)\n" in err
    assert "webinar-archive: warning: agenda line 5: '(times are approximate)': skipped (no time)\n" in err
    assert [[item.title for item in agenda or []] for agenda in seen] == [
        ["Welcome by Karen Højgaard", "Talk by Marek Wójcik"]
    ]
    assert output.exists()


def test_pipeline_result_carries_the_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest import pipeline
    from ingest.metadata import Manifest

    _stub_stages(monkeypatch, Path("x.opus"), 60.0)
    result = pipeline.run(Path("x.opus"), Manifest(speakers=SPEAKERS), agenda="Agenda\n00:05 Welcome")
    assert result.agenda_warnings == (AgendaWarning(line=1, text="Agenda", why="skipped (no time)"),)
    without = pipeline.run(Path("x.opus"), Manifest(speakers=SPEAKERS))
    assert without.agenda_warnings == ()


def test_items_after_the_recording_ends_are_left_out_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recording stopped before the closing words (or only the first part of an event): the
    items timed past its end would be chapters the player cannot open. They are left out, each
    named in a warning with its line; the items within the recording are structured as usual."""
    from ingest import pipeline
    from ingest.metadata import Manifest

    seen = _stub_stages(monkeypatch, Path("x.opus"), 1800.0)
    written = (
        "Programme\n"
        "14:00 Welcome by Karen Højgaard\n"
        "14:10 Talk by Marek Wójcik\n"
        "(break)\n"
        "14:30 Panel\n"
        "15:00 Close\n"
    )
    result = pipeline.run(Path("x.opus"), Manifest(speakers=SPEAKERS), agenda=written)
    assert [[item.title for item in agenda or []] for agenda in seen] == [
        ["Welcome by Karen Højgaard", "Talk by Marek Wójcik"]
    ]
    # Each warning quotes the line as written (clock time) and says where that is in the recording.
    end = "into the recording, at or after its end (00:30:00)"
    assert result.agenda_warnings == (
        AgendaWarning(line=1, text="Programme", why="skipped (no time)"),
        AgendaWarning(line=4, text="(break)", why="skipped (no time)"),
        AgendaWarning(line=5, text="14:30 Panel", why=f"skipped: starts 00:30:00 {end}"),
        AgendaWarning(line=6, text="15:00 Close", why=f"skipped: starts 01:00:00 {end}"),
    )


def test_a_structured_agenda_past_the_end_names_its_entries() -> None:
    from ingest.agenda import within_recording
    from ingest.metadata import AgendaEntry

    parsed = read_agenda(
        [
            AgendaEntry(at=0, title="Welcome"),
            AgendaEntry(at="00:20:00", title="Talk"),
            AgendaEntry(at=2400, title="Q&A"),
        ],
        SPEAKERS,
    )
    assert within_recording(parsed, 2400.5) is parsed  # every item starts inside the recording
    cut = within_recording(parsed, 1200.0)  # an item exactly at the end would be an empty chapter
    assert [item.title for item in cut.items] == ["Welcome"]
    assert cut.lines == [1]
    assert [(w.line, w.text) for w in cut.warnings] == [(2, "00:20:00 Talk"), (3, "2400 Q&A")]
    assert cut.written == ["0 Welcome"]
    everything_late = within_recording(parsed, 0.0)
    assert everything_late.items == []
    assert len(everything_late.warnings) == 3


def test_clock_times_from_an_event_page_count_from_the_first_item() -> None:
    """Event pages often give the schedule in clock time: 13:00 is the start, not minute 13."""
    parsed = read_agenda(
        "13:00 Welcome by Maria Jensen\n13:10 Keynote by Tomasz Nowak\n13:45 Questions\n14:00 Close",
        [Person("Maria Jensen"), Person("Tomasz Nowak")],
    )
    assert [item.at for item in parsed.items] == [0.0, 600.0, 2700.0, 3600.0]


def test_clock_ranges_and_minutes_and_seconds_stay_apart() -> None:
    ranges = read_agenda("09:30–09:40 Welcome\n09:40–10:15 Keynote\n10:15–10:30 Questions", [])
    assert [item.at for item in ranges.items] == [0.0, 600.0, 2700.0]
    # Minutes and seconds into the recording, items minutes apart: read as written.
    minutes = read_agenda("00:05 Welcome\n04:12 Keynote\n21:40 Questions", [])
    assert [item.at for item in minutes.items] == [5.0, 252.0, 1300.0]
    # A first part of 13 with items minutes apart is minutes and seconds too.
    late = read_agenda("13:00 Panel\n19:30 Questions\n25:10 Close", [])
    assert [item.at for item in late.items] == [780.0, 1170.0, 1510.0]


def test_clock_times_with_dots_and_time_zones_as_event_pages_write_them() -> None:
    dotted = read_agenda("13.00 – 13.10 Welcome\n13.10 – 13.45 Keynote\n13.45 – 14.00 Q&A", [])
    assert [(item.at, item.title) for item in dotted.items] == [
        (0.0, "Welcome"),
        (600.0, "Keynote"),
        (2700.0, "Q&A"),
    ]
    zoned = read_agenda("13:00 CET Welcome\n13:10 CET - Keynote\n13:45-14:00 CEST | Questions", [])
    assert [item.title for item in zoned.items] == ["Welcome", "Keynote", "Questions"]
    # Not a time: a dotted number inside a title, and a title that starts like a zone after a
    # recording time.
    prose = read_agenda("00:00:05 - EST project welcome\n00:04:12 - Version 2.10 of the tool", [])
    assert [item.title for item in prose.items] == ["EST project welcome", "Version 2.10 of the tool"]


def test_twelve_hour_clock_times_as_english_event_pages_write_them() -> None:
    """`2:00 PM` is the schedule's start, not minute two; a.m. and p.m. in their usual spellings."""
    afternoon = read_agenda(
        "1:00 PM Welcome by Maria Jensen\n1:10 PM Keynote by Tomasz Nowak\n1:45 PM Q&A\n2:15 PM Close",
        [Person("Maria Jensen"), Person("Tomasz Nowak")],
    )
    assert [(item.at, item.title) for item in afternoon.items] == [
        (0.0, "Welcome by Maria Jensen"),
        (600.0, "Keynote by Tomasz Nowak"),
        (2700.0, "Q&A"),
        (4500.0, "Close"),
    ]
    assert afternoon.warnings == []
    spellings = read_agenda("2pm Welcome\n2.30 p.m. – Panel\n3:05pm: Questions\n4 PM | Close", [])
    assert [(item.at, item.title) for item in spellings.items] == [
        (0.0, "Welcome"),
        (1800.0, "Panel"),
        (3900.0, "Questions"),
        (7200.0, "Close"),
    ]
    # a.m. or p.m. is enough to know the clock: a single item, and a start before 6 in the morning.
    assert [item.at for item in read_agenda("2:00 PM Welcome", []).items] == [0.0]
    assert [item.at for item in read_agenda("5:30 AM Sunrise session\n6:15 AM Panel", []).items] == [
        0.0,
        2700.0,
    ]


def test_twelve_hour_times_cross_noon_and_fill_in_a_missing_half_of_the_day() -> None:
    """Times written without a.m. or p.m. in such an agenda keep the items in order, across noon."""
    morning = read_agenda(
        "9:30 a.m. – Welcome\n9:45 a.m. – Talk\n10:30am Panel\n11:15 Questions\n12:00 pm Close\n1:05 Drinks",
        [],
    )
    assert [item.at for item in morning.items] == [0.0, 900.0, 3600.0, 6300.0, 9000.0, 12900.0]
    # A range with a.m. or p.m. on its end only: `11:30 – 12:30 PM` starts in the morning.
    ranges = read_agenda("11:30 – 12:00 PM Welcome\n12:00 – 12:45 PM Keynote\n12:45 – 1:15 PM Questions", [])
    assert [(item.at, item.title) for item in ranges.items] == [
        (0.0, "Welcome"),
        (1800.0, "Keynote"),
        (4500.0, "Questions"),
    ]
    # Before any a.m./p.m.: the reading at or before the first one written.
    before = read_agenda("11:50 Welcome\n12:00 PM Talk\n1:00 Questions", [])
    assert [item.at for item in before.items] == [0.0, 600.0, 4200.0]
    # Without a.m. or p.m. anywhere, nothing changes: `1:10` is a minute and ten seconds.
    assert [item.at for item in read_agenda("0:05 Welcome\n1:10 Keynote\n2:00 Questions", []).items] == [
        5.0,
        70.0,
        120.0,
    ]
    # "am" inside a title, or a number before a word, is not a time.
    prose = read_agenda("00:00:05 - 2 PMs on the panel\n00:04:12 - I am here", [])
    assert [item.title for item in prose.items] == ["2 PMs on the panel", "I am here"]


def test_clock_times_written_the_french_way() -> None:
    french = read_agenda("10h00 Accueil\n10h15 - 10h45 Présentation du projet\n11h Questions", [])
    assert [(item.at, item.title) for item in french.items] == [
        (0.0, "Accueil"),
        (900.0, "Présentation du projet"),
        (3600.0, "Questions"),
    ]
    # Inside prose a French hour stays part of the title.
    prose = read_agenda("00:00:05 - Doors open at 9h\n00:04:12 - The 10h challenge", [])
    assert [item.title for item in prose.items] == ["Doors open at 9h", "The 10h challenge"]
