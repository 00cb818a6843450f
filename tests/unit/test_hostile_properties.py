"""Property-based tests of the parsers that read what strangers and staff type: any input gives
either the module's own error (an `InputError` the front ends answer with 400 or a one-line CLI
message) or a valid result, never another exception.

Covered here: the manifest loader, the replay links' `t`/`end`, the search parameters (the API's
`SearchQuery` and the search page's), and the caption writers (read back by webvtt-py). The agenda
parser has its own properties in tests/unit/test_agenda.py (any text or structured entries: only
`AgendaError`).
"""

from __future__ import annotations

import io
import math
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import webvtt
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.captions import cues, to_srt, to_webvtt
from ingest.document import SEGMENT_KINDS, Segment, Speaker, Transcript, Word
from ingest.errors import InputError
from ingest.metadata import Manifest, ManifestError, load_manifest, parse_manifest
from server.jobs.intake import FieldError, read_manifest
from server.search.service import QueryError, SearchQuery
from server.web.search_page import FILTERS, SearchPageError, search_query
from server.web.timecode import MAX_SECONDS, TimecodeError, clock, parse_timecode

# Text as hostile as it gets: markup, filter syntax, WebVTT's own arrows, line breaks, controls.
NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        'x" OR topics EXISTS OR "',
        "language = en OR 1=1",
        "\\",
        '\\"',
        "-->",
        "\n\n",
        "\r",
        "\x00",
        "&amp;",
        "NOTE",
        "WEBVTT",
        "00:00:01.000 --> 00:00:02.000",
    ]
)
TEXT = st.one_of(
    st.text(max_size=40), st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=6).map("".join)
)
T = TypeVar("T")


def outcome(call: Callable[[], T], refusal: type[Exception]) -> T | Exception:
    """What `call` returns, or the `refusal` it raised; any other exception fails the test."""
    try:
        return call()
    except refusal as exc:
        return exc


# --- the manifest -----------------------------------------------------------------------------

JSON_LIKE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.dates()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(TEXT, st.integers()), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["title", "date", "description", "language", "topics", "speakers", "resources", "agenda", "extra"]
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(JSON_LIKE, st.dictionaries(FIELDS, JSON_LIKE, max_size=5)))
def test_any_decoded_manifest_is_a_manifest_or_a_manifest_error(data: Any) -> None:
    manifest = outcome(lambda: parse_manifest(data), ManifestError)
    if isinstance(manifest, Exception):
        assert str(manifest).startswith("manifest: ")
    else:
        assert isinstance(manifest, Manifest)
        assert all(isinstance(topic, str) for topic in manifest.topics)


@settings(max_examples=80, deadline=None)
@given(st.one_of(TEXT, st.binary(max_size=60), st.dictionaries(FIELDS, JSON_LIKE, max_size=4).map(yaml.dump)))
@example("title: A talk\ndate: 2024-13-40\n")  # YAML reads the date, Python refuses the month
@example("title: " + "[" * 1000 + "]" * 1000)  # deeper than the parser's recursion
@example("topics: &a [*a]\n")  # a list that contains itself
@example("!!python/object/apply:os.system [echo hi]\n")
def test_any_manifest_file_loads_or_says_why(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.yaml"
        path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
        manifest = outcome(lambda: load_manifest(path), ManifestError)
        if isinstance(manifest, Exception):
            assert str(manifest).startswith(f"manifest {path}: ") or str(manifest).startswith(f"{path}: ")
        else:
            assert isinstance(manifest, Manifest)
    # The upload form's field reads the same text the same way, as a refusal naming the field.
    if isinstance(content, str):
        field = outcome(lambda: read_manifest(content), FieldError)
        assert isinstance(field, Manifest) or (isinstance(field, FieldError) and field.field == "manifest")


# --- moments in links (`?t=`, `&end=`) -------------------------------------------------------------

TIME_LIKE = st.lists(st.sampled_from([*"0123456789:.hms ", "1e9", "nan", "inf", "-", "٣", "²"]), max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), TIME_LIKE.map("".join)))
@example("9" * 400)
@example("99999999999h")
@example("1:99:00")
@example("٣:٠٠")  # Arabic-Indic digits: \d matches them, int() reads them
def test_any_t_is_a_moment_or_a_timecode_error(text: str) -> None:
    seconds = outcome(lambda: parse_timecode(text), TimecodeError)
    if isinstance(seconds, Exception):
        assert isinstance(seconds, InputError)  # the page answers 400 with the message
        assert len(str(seconds)) < 200  # which quotes a bounded part of the input
    else:
        assert math.isfinite(seconds)
        assert 0 <= seconds <= MAX_SECONDS


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=int(MAX_SECONDS)))
def test_every_written_moment_reads_back(seconds: int) -> None:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    assert parse_timecode(clock(seconds)) == seconds
    assert parse_timecode(str(seconds)) == seconds
    assert parse_timecode(f"{hours}h{minutes:02d}m{secs:02d}s") == seconds


# --- search parameters ----------------------------------------------------------------------------

_LITERAL = re.compile(r'^(\w+) = "((?:[^"\\]|\\.)*)"$', re.DOTALL)


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal, flags=re.DOTALL)


@settings(max_examples=200, deadline=None)
@given(
    q=TEXT,
    webinar=st.one_of(st.none(), TEXT),
    speaker=st.one_of(st.none(), TEXT),
    kind=st.one_of(st.none(), st.sampled_from(SEGMENT_KINDS), TEXT),
    topic=st.one_of(st.none(), TEXT),
    project=st.one_of(st.none(), TEXT),
    language=st.one_of(st.none(), st.sampled_from(["en", "de", "EN", "e", "eng"]), TEXT),
    limit=st.integers(-5, 200),
    offset=st.integers(-5, 10**6),
    group=st.one_of(st.none(), st.just("webinar"), TEXT),
)
def test_any_search_is_refused_with_a_reason_or_filters_on_literal_values(
    q: str,
    webinar: str | None,
    speaker: str | None,
    kind: str | None,
    topic: str | None,
    project: str | None,
    language: str | None,
    limit: int,
    offset: int,
    group: str | None,
) -> None:
    query = SearchQuery(
        q=q,
        webinar=webinar,
        speaker=speaker,
        kind=kind,
        topic=topic,
        project=project,
        language=language,
        limit=limit,
        offset=offset,
        group=group,
    )
    refused = outcome(query.validate, QueryError)
    if refused is not None:
        assert str(refused).split(":", 1)[0] in {"q", "kind", "limit", "offset", "group", "language"}
        return
    given_values = {
        "webinar": webinar,
        "speaker": speaker,
        "kind": kind,
        "topics": topic,
        "projects": project,
        "language": language,
    }
    for expression in query.filters():
        # Each filter is one field compared with one double-quoted literal: whatever the value
        # held (quotes, OR, EXISTS, backslashes), Meilisearch reads it back as that value.
        match = _LITERAL.match(expression)
        assert match, expression
        field, literal = match.groups()
        assert _unquote(literal) == given_values[field]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["q", *FILTERS, "page"]), TEXT, max_size=6))
@example({"page": "99999999999999999999"})
@example({"year": "٢٠٢٤"})
@example({"language": "en OR 1=1"})
def test_any_search_page_address_is_a_query_or_a_page_error(params: dict[str, str]) -> None:
    read = outcome(lambda: search_query(params), SearchPageError)
    if isinstance(read, Exception):
        assert str(read).split(":", 1)[0] in {"year", "page", "language", "kind"}
        return
    query, page = read
    query.validate()  # what the page sends is what the API would accept
    assert 1 <= page <= 100


# --- captions -----------------------------------------------------------------------------------------


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    names = draw(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=3))
    speakers = [Speaker(f"S{i}", name) for i, name in enumerate(names)]
    segments: list[Segment] = []
    t = draw(st.floats(0, 5))
    for i in range(draw(st.integers(1, 5))):
        tokens = draw(st.lists(TEXT, max_size=6))
        step = draw(st.floats(0.01, 3))
        words = [Word(t + j * step, t + (j + 1) * step, f" {token}", 0.9) for j, token in enumerate(tokens)]
        end = t + max(len(tokens), 1) * step
        text = "".join(w.text for w in words).strip() if words else draw(TEXT)
        label = draw(st.one_of(st.none(), st.sampled_from([s.label for s in speakers])))
        segments.append(Segment(i, t, end, text, words, label, kind="presentation"))
        t = end + draw(st.floats(0, 2))
    return Transcript("en", t + 1, "test", segments, speakers)


def _stamp(seconds: float) -> str:
    hours, millis = divmod(round(seconds * 1000), 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


@settings(max_examples=80, deadline=None)
@given(transcripts(), st.booleans())
def test_webvtt_of_any_transcript_parses_back_cue_for_cue(transcript: Transcript, voice_tags: bool) -> None:
    written = to_webvtt(transcript, voice_tags=voice_tags)
    captions = webvtt.from_buffer(io.StringIO(written)).captions
    expected = cues(transcript)
    assert len(captions) == len(expected)
    for caption, cue in zip(captions, expected, strict=True):
        assert (caption.start, caption.end) == (_stamp(cue.start), _stamp(cue.end))
        assert "\n" not in caption.raw_text  # a cue is one line: a blank line would end it early
        assert "-->" not in caption.raw_text
        assert "<" not in caption.raw_text.removeprefix(f"<v {caption.voice}>" if caption.voice else "")


@settings(max_examples=80, deadline=None)
@given(transcripts())
def test_srt_of_any_transcript_parses_back_cue_for_cue(transcript: Transcript) -> None:
    expected = cues(transcript)
    if not expected:  # nothing to show: an empty file (which webvtt-py calls malformed)
        assert to_srt(transcript) == ""
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "captions.srt"
        path.write_text(to_srt(transcript), encoding="utf-8")
        captions = webvtt.from_srt(str(path)).captions
    assert len(captions) == len(expected)
    for caption, cue in zip(captions, expected, strict=True):
        assert (caption.start, caption.end) == (_stamp(cue.start), _stamp(cue.end))
        assert "\n" not in caption.raw_text
