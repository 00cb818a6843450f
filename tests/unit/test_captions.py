"""Captions must be read back by a real WebVTT/SRT parser with the same cues."""

from __future__ import annotations

import html
import io
import itertools
from pathlib import Path

import webvtt

from ingest.captions import MAX_CUE_CHARS, MAX_CUE_SECONDS, cues, to_srt, to_text, to_webvtt
from ingest.document import Segment, Speaker, Transcript, Word


def _words(text: str, start: float, step: float = 0.4) -> list[Word]:
    return [
        Word(
            start=round(start + i * step, 3),
            end=round(start + i * step + step * 0.9, 3),
            text=f" {w}",
            probability=0.9,
        )
        for i, w in enumerate(text.split())
    ]


def _transcript() -> Transcript:
    long_text = " ".join(f"word{i}" for i in range(60))
    return Transcript(
        language="en",
        duration=60.0,
        model="test",
        segments=[
            Segment(
                id=0,
                start=0.5,
                end=2.9,
                text="Welcome to <b>the</b> webinar & more",
                words=_words("Welcome to <b>the</b> webinar & more", 0.5),
            ),
            Segment(
                id=1,
                start=3.0,
                end=3.0 + 60 * 0.4,
                text=long_text,
                words=_words(long_text, 3.0),
                speaker="S1",
            ),
            Segment(id=2, start=30.0, end=31.0, text="No words here --> arrow"),
        ],
        speakers=[Speaker(label="S1", name="Ana Ribeiro")],
    )


def test_webvtt_parses_back_to_the_same_cues() -> None:
    transcript = _transcript()
    expected = cues(transcript)
    parsed = webvtt.from_buffer(io.StringIO(to_webvtt(transcript)))
    assert len(parsed.captions) == len(expected)
    for caption, cue in zip(parsed.captions, expected, strict=True):
        assert caption.start_time.in_milliseconds() == round(cue.start * 1000)
        assert caption.end_time.in_milliseconds() == round(cue.end * 1000)
        # webvtt-py strips tags but leaves character references as written.
        assert html.unescape(caption.text) == cue.text.replace("-->", "->")
    # The speaker travels as a WebVTT voice tag; hostile markup is escaped, not interpreted.
    assert parsed.captions[1].voice == "Ana Ribeiro"
    assert "&lt;b&gt;the&lt;/b&gt;" in parsed.captions[0].raw_text


def test_srt_parses_back_to_the_same_cues(tmp_path: Path) -> None:
    transcript = _transcript()
    expected = cues(transcript)
    srt = tmp_path / "captions.srt"
    srt.write_text(to_srt(transcript), encoding="utf-8")
    parsed = webvtt.from_srt(str(srt))
    assert len(parsed.captions) == len(expected)
    for caption, cue in zip(parsed.captions, expected, strict=True):
        assert caption.start_time.in_milliseconds() == round(cue.start * 1000)
        assert caption.end_time.in_milliseconds() == round(cue.end * 1000)
    assert parsed.captions[1].text.startswith("Ana Ribeiro: ")


def test_long_segments_become_readable_cues_that_never_overlap() -> None:
    result = cues(_transcript())
    assert len(result) > 3
    for cue in result:
        assert len(cue.text) <= MAX_CUE_CHARS
        assert cue.end - cue.start <= MAX_CUE_SECONDS + 0.5
    for before, after in itertools.pairwise(result):
        assert before.end <= after.start


def test_webvtt_without_voice_tags_names_the_speaker_as_text() -> None:
    """For the player's <track>: Chromium shows an audio cue's markup raw, so no tags at all."""
    transcript = _transcript()
    text = to_webvtt(transcript, voice_tags=False)
    assert "<v " not in text
    parsed = webvtt.from_buffer(io.StringIO(text))
    assert len(parsed.captions) == len(cues(transcript))
    assert parsed.captions[1].voice is None
    assert parsed.captions[1].text.startswith("Ana Ribeiro: word0")
    assert parsed.captions[0].raw_text.startswith("Welcome to &lt;b&gt;the&lt;/b&gt; webinar &amp; more")
    assert parsed.captions[-1].raw_text == "No words here -&gt; arrow"


def test_plain_text_transcript_reads_turn_by_turn() -> None:
    text = to_text(_transcript(), "A <title>")
    assert text.splitlines()[:4] == [
        "A <title>",
        "",
        "[00:00] Unknown speaker",
        "Welcome to <b>the</b> webinar & more",  # plain text: nothing escaped
    ]
    assert "\n\n[00:03] Ana Ribeiro\nword0 word1" in text
    assert text.endswith("No words here --> arrow\n")
