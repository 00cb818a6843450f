"""Staff corrections (server/catalog/corrections.py): word times kept through text edits, on
synthetic words; and the edits, splits, merges, find and replace and reverts on a real SQLite
catalogue (tables made from the models, no migrations), history rows included."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel, col, select

from ingest.captions import cues
from ingest.errors import ConflictError, InputError, NotFoundError
from server.catalog import corrections as c
from server.catalog.db import create_db_engine
from server.catalog.models import EditHistory, Segment, Webinar
from server.catalog.reads import load_transcript
from server.search.documents import decode_word_times, encode_word_times


def words_of(text: str, start: float = 10.0, step: float = 1.0) -> list[list[Any]]:
    """One word a second from `start`, each 0.8 s long, as stored."""
    return [[start + i * step, start + i * step + 0.8, f" {t}", 0.9] for i, t in enumerate(text.split())]


def times(words: list[list[Any]]) -> list[tuple[float, float]]:
    return [(float(w[0]), float(w[1])) for w in words]


# --- word times on synthetic input ----------------------------------------------------------------


def test_unchanged_text_keeps_every_word() -> None:
    old = words_of("we met in gdania today")
    assert c.retime_words(old, "we met in gdania today", 10.0, 15.0) == old


def test_case_and_punctuation_changes_keep_the_times_and_take_the_new_spelling() -> None:
    old = words_of("we met merck in gdansk today")
    new = c.retime_words(old, "We met Merck, in Gdansk today.", 10.0, 16.0)
    assert times(new) == times(old)
    assert [w[2] for w in new] == [" We", " met", " Merck,", " in", " Gdansk", " today."]
    assert [w[3] for w in new] == [0.9] * 6  # the recogniser's confidence is kept too


def test_an_inserted_word_fills_the_gap_between_its_neighbours() -> None:
    old = words_of("small municipalities buy furniture")  # 10-10.8, 11-11.8, 12-12.8, 13-13.8
    new = c.retime_words(old, "small municipalities buy refurbished furniture", 10.0, 14.0)
    assert [w[2] for w in new] == [" small", " municipalities", " buy", " refurbished", " furniture"]
    assert times(new)[:3] == times(old)[:3]
    assert times(new)[4] == times(old)[3]
    assert times(new)[3] == (12.8, 13.0)  # the pause between "buy" and "furniture"
    assert new[3][3] == c.NEW_WORD_PROBABILITY


def test_several_inserted_words_share_the_gap_evenly() -> None:
    old = [[0.0, 1.0, " one", 0.9], [3.0, 4.0, " four", 0.9]]
    new = c.retime_words(old, "one two three four", 0.0, 4.0)
    assert times(new) == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0)]


def test_a_deleted_word_leaves_the_others_untouched() -> None:
    old = words_of("we we met in in gdansk")
    new = c.retime_words(old, "we met in gdansk", 10.0, 16.0)
    assert [w[2] for w in new] == [" we", " met", " in", " gdansk"]
    kept = {tuple(w[:2]) for w in old}
    assert all(tuple(w[:2]) in kept for w in new)
    assert new[-1][:2] == old[-1][:2]


def test_a_replacement_spans_the_words_it_replaces() -> None:
    old = words_of("thanks to kenty council for hosting")  # kenty 12-12.8, council 13-13.8
    new = c.retime_words(old, "thanks to Kent County Council for hosting", 10.0, 17.0)
    assert [w[2] for w in new][2:5] == [" Kent", " County", " Council"]
    assert times(new)[4] == (13.0, 13.8)  # "council" survived (case ignored)
    assert times(new)[2:4] == [(11.8, 12.4), (12.4, 13.0)]  # after "to", up to "council"
    assert times(new)[:2] == times(old)[:2]
    assert times(new)[5:] == times(old)[4:]


def test_a_replaced_first_word_keeps_the_span_it_had_not_the_segment_start() -> None:
    old = words_of("merck opened the meeting", start=5.0)
    new = c.retime_words(old, "Marek opened the meeting", 0.0, 10.0)
    assert times(new)[0] == (5.0, 6.0)  # from its own start to the next kept word
    assert times(new)[1:] == times(old)[1:]


def test_words_added_at_the_edges_reach_the_segment_edges() -> None:
    old = words_of("opened the meeting", start=5.0)  # 5 - 7.8
    new = c.retime_words(old, "So Marek opened the meeting today", 4.0, 9.0)
    assert times(new)[:2] == [(4.0, 4.5), (4.5, 5.0)]  # "So Marek" before the first kept word
    assert times(new)[2:5] == times(old)
    assert times(new)[-1] == (7.8, 9.0)


def test_a_whole_rewrite_spreads_over_the_old_words_span() -> None:
    old = words_of("aggroceric is a projekt", start=2.0)  # 2 - 5.8
    new = c.retime_words(old, "AGROCIRC works on bio-waste in cities", 0.0, 8.0)
    assert len(new) == 6
    assert new[0][0] == 2.0
    assert new[-1][1] == pytest.approx(5.8)
    assert all(w[3] == c.NEW_WORD_PROBABILITY for w in new)


def test_a_segment_without_word_times_gets_them_spread_over_itself() -> None:
    new = c.retime_words([], "one two", 1.0, 3.0)
    assert times(new) == [(1.0, 2.0), (2.0, 3.0)]


def test_punctuation_only_tokens_are_words_of_their_own() -> None:
    old = words_of("reuse & repair")
    new = c.retime_words(old, "reuse & repair", 10.0, 13.0)
    assert new == old


def test_search_offsets_and_captions_follow_the_new_text() -> None:
    old = words_of("we met merck in gdania")
    text = "We met Marek in Gdańsk, Poland"
    new = c.retime_words(old, text, 10.0, 15.0)
    offsets, seconds = decode_word_times(encode_word_times(text, new))
    assert len(offsets) == len(text.split())  # every word found in the text
    assert [text[o:].split()[0] for o in offsets] == text.split()
    assert seconds == sorted(seconds)
    assert "".join(w[2] for w in new).strip() == text


_WORDS = st.lists(
    st.sampled_from(["we", "met", "Marek", "in", "Gdańsk", "the", "AGROCIRC", "&", "x."]), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(_WORDS, _WORDS)
def test_any_edit_gives_ordered_times_inside_the_segment_and_keeps_survivors(
    old_tokens: list[str], new_tokens: list[str]
) -> None:
    old = words_of(" ".join(old_tokens), start=1.0)
    end = 1.0 + len(old_tokens) + 1.0
    new = c.retime_words(old, " ".join(new_tokens), 0.0, end)
    assert [w[2].strip() for w in new] == new_tokens
    starts = [w[0] for w in new]
    assert starts == sorted(starts)
    assert all(0.0 <= w[0] <= w[1] <= end for w in new)
    for a, b in itertools.pairwise(new):
        assert a[1] <= b[0] + 1e-9  # never overlapping
    survivors = {tuple(w[:2]) for w in old}
    kept = [w for w in new if w[3] != c.NEW_WORD_PROBABILITY]
    assert all(tuple(w[:2]) in survivors for w in kept)
    if [c.word_key(t) for t in old_tokens] == [c.word_key(t) for t in new_tokens]:
        assert times(new) == times(old)


# --- the catalogue -------------------------------------------------------------------------------


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    from ingest.probe import MediaInfo
    from server.catalog.store import store_transcript
    from tests.factories import make_manifest, make_transcript

    engine = create_db_engine(f"sqlite:///{tmp_path / 'c.db'}")
    SQLModel.metadata.create_all(engine)
    info = MediaInfo(Path("a.opus"), "ogg", 24.5, "opus", 48000, 1, False)
    with Session(engine) as s:
        with s.begin():
            store_transcript(s, info, "a" * 64, make_manifest(), make_transcript(), slug="circular")
        yield s
    engine.dispose()


def webinar(session: Session) -> Webinar:
    found = session.exec(select(Webinar).where(Webinar.slug == "circular")).one()
    return found


def segments(session: Session) -> list[Segment]:
    return list(session.exec(select(Segment).order_by(col(Segment.position))))


def test_a_text_edit_keeps_word_times_is_recorded_and_reverts_with_its_words(session: Session) -> None:
    w = webinar(session)
    first = segments(session)[0]
    old_words, old_text = [list(x) for x in first.words], first.text
    updated_before = w.updated_at
    segment, entries = c.edit_segment(
        session,
        w,
        first.id or 0,
        "ed@example.org",
        text="Welcome everyone to this webinar on circular buying.",
    )
    assert [x[:2] for x in segment.words[:6]] == [x[:2] for x in old_words[:6]]
    assert segment.words[-1][2] == " buying."
    assert w.updated_at != updated_before  # the caches keyed by it rebuild
    [entry] = entries
    assert entry.field == c.TEXT
    assert entry.old_value["segments"][0]["words"] == old_words  # the old words with the old text
    [shown] = c.webinar_history(session, w)
    assert (shown.who, shown.before, shown.after, shown.segment) == (
        "ed@example.org",
        old_text,
        segment.text,
        first.id,
    )
    made, touched = c.revert(session, entry.id or 0, "al@example.org")
    assert touched == [w.id]
    assert (segment.text, [list(x) for x in segment.words]) == (old_text, old_words)
    assert made[0].new_value["reverts"] == entry.id
    with pytest.raises(ConflictError):
        c.revert(session, entry.id or 0, "al@example.org")  # already reverted
    c.revert(session, made[0].id or 0, "al@example.org")  # the revert reverted: the edit again
    assert segment.text.endswith("circular buying.")


def test_edit_refusals(session: Session) -> None:
    w = webinar(session)
    sid = segments(session)[0].id or 0
    with pytest.raises(InputError, match="nothing to change"):
        c.edit_segment(session, w, sid, "ed")
    with pytest.raises(InputError, match="kind"):
        c.edit_segment(session, w, sid, "ed", kind="keynote")
    with pytest.raises(InputError, match="empty"):
        c.edit_segment(session, w, sid, "ed", text="   ")
    with pytest.raises(InputError, match="speaker"):
        c.edit_segment(session, w, sid, "ed", speaker="Nobody Known")
    with pytest.raises(NotFoundError):
        c.edit_segment(session, w, 999_999, "ed", kind="other")
    with pytest.raises(NotFoundError):
        c.revert(session, 999_999, "ed")


def test_speaker_by_name_or_label_and_kind_are_recorded_and_revertible(session: Session) -> None:
    w = webinar(session)
    first = segments(session)[0]
    _, entries = c.edit_segment(session, w, first.id or 0, "ed", speaker="tomasz nowak", kind="presentation")
    assert [e.field for e in entries] == [c.SPEAKER, c.KIND]
    assert first.speaker_label == "SPEAKER_01"
    assert first.kind == "presentation"
    history = c.webinar_history(session, w)
    assert (history[1].before, history[1].after) == ("Maria Jensen", "Tomasz Nowak")
    assert (history[0].before, history[0].after) == ("intro", "presentation")
    c.revert(session, entries[0].id or 0, "ed")  # the speaker only: the kind stays
    assert (first.speaker_label, first.kind) == ("SPEAKER_00", "presentation")
    c.edit_segment(session, w, first.id or 0, "ed", speaker="SPEAKER_02")  # a voice with no person
    assert (first.speaker_label, first.person_id) == ("SPEAKER_02", None)


def test_split_and_merge_keep_word_times_and_positions_and_revert(session: Session) -> None:
    w = webinar(session)
    before = [(s.id, s.text, [list(x) for x in s.words]) for s in segments(session)]
    second = segments(session)[1]
    made, entry = c.split_segment(session, w, second.id or 0, 3, "ed")
    rows = segments(session)
    assert [s.position for s in rows] == list(range(6))
    a, b = rows[1], rows[2]
    assert (a.id, b.id) == (second.id, made[1].id)
    assert a.words + b.words == before[1][2]
    assert a.text == "Small municipalities can"
    assert b.text.startswith("buy refurbished")
    assert (a.end, b.start) == (a.words[-1][1], b.words[0][0])
    assert (b.speaker_label, b.kind, b.chapter_id) == (a.speaker_label, a.kind, a.chapter_id)
    cue_text = [cue.text for cue in cues(load_transcript(session, w))]
    assert "Small municipalities can" in cue_text

    c.revert(session, entry.id or 0, "ed")
    assert [(s.id, s.text, [list(x) for x in s.words]) for s in segments(session)] == before

    merged, merge = c.merge_segments(session, w, second.id or 0, "ed")
    rows = segments(session)
    assert len(rows) == 4
    assert [s.position for s in rows] == list(range(4))
    assert merged.words == before[1][2] + before[2][2]
    assert merged.text == f"{before[1][1]} {before[2][1]}"
    c.revert(session, merge.id or 0, "ed")  # the deleted segment comes back with its id
    assert [(s.id, s.text, [list(x) for x in s.words]) for s in segments(session)] == before
    with pytest.raises(InputError, match="word"):
        c.split_segment(session, w, second.id or 0, 0, "ed")
    with pytest.raises(InputError, match="last segment"):
        c.merge_segments(session, w, rows[-1].id or 0, "ed")


def test_find_and_replace_previews_applies_the_selection_and_reverts_as_one(session: Session) -> None:
    w = webinar(session)
    c.edit_segment(
        session, w, segments(session)[4].id or 0, "ed", text="Thank you all for joining the webinar."
    )
    matches = c.find_matches(session, "WEBINAR")
    assert [(m.segment, m.match) for m in matches] == [
        (segments(session)[0].id, "webinar"),
        (segments(session)[4].id, "webinar"),
    ]
    first = matches[0]
    assert first.before.endswith("to this ")
    assert first.after == " on circular procurement."
    assert first.time == segments(session)[0].words[4][0]
    assert c.find_matches(session, "webin") == []  # whole words
    assert len(c.find_matches(session, "webin", whole_word=False)) == 2

    done = c.replace_matches(session, "webinar", "online seminar", "ed", selected=[matches[1].id])
    assert done.changed == 1
    assert len(done.entries) == 1
    assert segments(session)[0].text.endswith("webinar on circular procurement.")
    assert segments(session)[4].text == "Thank you all for joining the online seminar."
    done = c.replace_matches(session, "procurement", "purchasing", "ed")
    assert done.changed == 1
    with pytest.raises(ConflictError, match="preview again"):
        c.replace_matches(session, "webinar", "x", "ed", selected=[matches[1].id])

    every = c.replace_matches(session, "the", "THE", "ed", match_case=True)
    assert every.changed >= 2
    assert len({e.new_value["batch"] for e in every.entries}) == 1
    made, _ = c.revert(session, every.entries[-1].id or 0, "ed")  # the last row reverts the batch
    assert len(made) == len(every.entries)
    assert all("THE" not in s.text for s in segments(session))
    history = c.webinar_history(session, w)
    assert history[0].reverts in {e.id for e in every.entries}
    assert history[0].batch is not None


def test_webinar_field_edits_are_in_the_history_and_revert(session: Session) -> None:
    from server.catalog.edits import update_webinar
    from server.catalog.models import WebinarUpdate

    w = webinar(session)
    old_title = w.title
    update_webinar(session, w, WebinarUpdate(title="<script>x</script>"), "ed")
    [entry] = c.webinar_history(session, w)
    assert (entry.field, entry.before, entry.after) == ("title", old_title, "<script>x</script>")
    c.revert(session, entry.id, "ed")
    assert w.title == old_title
    assert len(session.exec(select(EditHistory)).all()) == 2


def chapter_rows(session: Session) -> list[tuple[int | None, float, float, str]]:
    from server.catalog.models import Chapter

    rows = session.exec(select(Chapter).order_by(col(Chapter.position)))
    return [(c.id, c.start, c.end, c.title) for c in rows]


def segment_chapters(session: Session) -> list[int | None]:
    return [s.chapter_id for s in segments(session)]


def test_chapters_retitled_moved_added_deleted_and_reverted(session: Session) -> None:
    w = webinar(session)
    original, placed = chapter_rows(session), segment_chapters(session)
    welcome, keynote, questions = (row[0] or 0 for row in original)

    _, retitled = c.edit_chapter(session, w, keynote, "ed", title="Keynote: <b>buying</b> reused")
    assert retitled is not None
    assert chapter_rows(session)[1][3] == "Keynote: <b>buying</b> reused"
    assert chapter_rows(session)[1][2] == original[1][2]  # a retitle moves nothing
    assert c.edit_chapter(session, w, keynote, "ed", title="Keynote: <b>buying</b> reused")[1] is None

    _, moved = c.edit_chapter(session, w, questions, "ed", start=15.5)
    assert moved is not None
    assert chapter_rows(session)[1][2] == 15.5  # the keynote now ends where the questions start
    assert segment_chapters(session)[2] == keynote  # the question at 12.5 s is in the keynote now
    assert segment_chapters(session)[3] == questions

    added, _ = c.add_chapter(session, w, 2.0, "Housekeeping", "ed")
    assert [row[3] for row in chapter_rows(session)][:2] == ["Welcome", "Housekeeping"]
    assert segment_chapters(session)[0] == welcome  # the segment at 0 s starts before it
    deleted = c.delete_chapter(session, w, welcome, "ed")
    assert chapter_rows(session)[0][3] == "Housekeeping"
    assert segment_chapters(session)[0] is None  # before the first chapter now
    with pytest.raises(InputError, match="start"):
        c.add_chapter(session, w, 999.0, "Late", "ed")
    with pytest.raises(NotFoundError):
        c.delete_chapter(session, w, 999_999, "ed")

    history = c.webinar_history(session, w)
    assert history[0].field == c.CHAPTERS
    assert history[0].before[0] == "00:00 Welcome"
    with pytest.raises(ConflictError):
        c.revert(session, moved.id or 0, "ed")  # later chapter changes first
    added_entry = c.webinar_history(session, w)[1]
    for entry_id in (deleted.id, added_entry.id, moved.id, retitled.id):
        c.revert(session, entry_id or 0, "ed")
    assert chapter_rows(session) == original
    assert segment_chapters(session) == placed
    assert added.id not in {row[0] for row in chapter_rows(session)}


def test_a_question_and_answer_are_paired_and_unpaired_with_history(session: Session) -> None:
    w = webinar(session)
    rows = segments(session)
    question, answer, last = rows[2], rows[3], rows[4]
    assert answer.answers_id == question.id
    _, [unpaired] = c.edit_segment(session, w, answer.id or 0, "ed", answers=0)
    assert answer.answers_id is None
    _, [paired] = c.edit_segment(session, w, last.id or 0, "ed", answers=question.id)
    assert last.answers_id == question.id
    assert (c.webinar_history(session, w)[0].before, c.webinar_history(session, w)[0].after) == (
        None,
        question.id,
    )
    with pytest.raises(InputError, match="before its answer"):
        c.edit_segment(session, w, question.id or 0, "ed", answers=last.id)
    with pytest.raises(InputError, match="answers"):
        c.edit_segment(session, w, last.id or 0, "ed", answers=999_999)
    c.revert(session, paired.id or 0, "ed")
    c.revert(session, unpaired.id or 0, "ed")
    assert (answer.answers_id, last.answers_id) == (question.id, None)


def test_resources_added_edited_removed_with_their_moments_and_reverted(session: Session) -> None:
    from server.catalog.models import Resource

    w = webinar(session)

    def state() -> tuple[list[tuple[str, str, float | None]], list[list[int]]]:
        rows = session.exec(select(Resource).order_by(col(Resource.position)))
        return [(r.title, r.url, r.start) for r in rows], [list(s.resources) for s in segments(session)]

    original = state()
    assert original[1][1] == [0]  # the toolkit is mentioned in the second segment
    added, first = c.add_resource(session, w, "Tender <guide>", "https://example.org/guide", "ed", start=16.0)
    assert state()[1][3] == [1]  # said in the answer (15.5-21 s)
    for bad_url in ("javascript:alert(1)", "ftp://x", "https://", " "):
        with pytest.raises(InputError, match="url"):
            c.add_resource(session, w, "Bad", bad_url, "ed")
    _, moved = c.edit_resource(session, w, added.id or 0, "ed", title="Tender guide", start=13.0)
    assert moved is not None
    assert state()[1][2:4] == [[1], []]
    toolkit = session.exec(select(Resource).where(Resource.position == 0)).one()
    removed = c.delete_resource(session, w, toolkit.id or 0, "ed")
    assert state()[0] == [("Tender guide", "https://example.org/guide", 13.0)]
    assert state()[1][1:3] == [[], [0]]  # the guide moved up to position 0, its mention too
    assert c.webinar_history(session, w)[0].before[0] == "ReCircle toolkit <https://example.org/recircle>"
    for entry in (removed, moved, first):
        c.revert(session, entry.id or 0, "ed")
    assert state() == original


def test_corrections_survive_a_reprocessing_that_replaces_the_transcript(session: Session) -> None:
    from ingest.probe import MediaInfo
    from server.catalog.store import store_transcript
    from tests.factories import make_manifest, make_transcript

    w = webinar(session)
    rows = segments(session)
    c.edit_segment(session, w, rows[1].id or 0, "ed", text="Small municipalities can buy Zorblax furniture.")
    c.split_segment(session, w, rows[3].id or 0, 2, "ed")
    _, [reverted] = c.edit_segment(session, w, rows[0].id or 0, "ed", kind="panel")
    c.revert(session, reverted.id or 0, "ed")  # reverted: not a correction to keep
    kept = c.corrected_segments(session, w.id or 0)
    assert [s["text"] for s in kept] == [
        "Small municipalities can buy Zorblax furniture.",
        "We score",
        "reuse and repairability <above> price.",
    ]

    info = MediaInfo(Path("a.opus"), "ogg", 24.5, "opus", 48000, 1, False)
    stored = store_transcript(session, info, "a" * 64, make_manifest(), make_transcript(), slug="circular")
    assert [s.text for s in segments(session)][
        1
    ] == "Small municipalities can buy refurbished furniture & save money."
    ids = c.keep_corrections(session, stored, kept)
    after = segments(session)
    assert len(ids) == 3
    assert [s.position for s in after] == list(range(6))
    assert [s.text for s in after][1] == "Small municipalities can buy Zorblax furniture."
    assert [s.text for s in after][3:5] == ["We score", "reuse and repairability <above> price."]
    assert after[1].words[4][2] == " Zorblax"
    assert after[1].speaker_label == "SPEAKER_01"
    assert after[3].chapter_id == after[2].chapter_id  # the answer's chapter, as before
    assert after[0].kind == "intro"


def test_voices_named_by_staff_survive_a_reprocessing_that_numbers_the_voices_afresh(
    session: Session,
) -> None:
    from ingest.probe import MediaInfo
    from server.catalog import people
    from server.catalog.models import Person, WebinarPerson
    from server.catalog.store import store_transcript
    from tests.factories import make_manifest, make_transcript

    w = webinar(session)
    people.assign_voice(session, w, "SPEAKER_02", "Karen Smith", "ed")  # the closing voice
    people.assign_voice(session, w, "SPEAKER_00", "Maria Jensen", "ed")  # as the manifest had it
    voices = people.named_voices(session, w.id or 0)
    assert [(v.label, v.spans) for v in voices] == [("SPEAKER_02", [(21.5, 24.0)])]

    # The new run's diarization calls the closing voice SPEAKER_07, and the first voice SPEAKER_02.
    fresh = make_transcript()
    relabel = {"SPEAKER_02": "SPEAKER_07", "SPEAKER_00": "SPEAKER_02"}
    segs = [
        msgspec.structs.replace(s, speaker=relabel.get(s.speaker or "", s.speaker)) for s in fresh.segments
    ]
    speakers = [msgspec.structs.replace(v, label=relabel.get(v.label, v.label)) for v in fresh.speakers]
    fresh = msgspec.structs.replace(fresh, segments=segs, speakers=speakers)
    info = MediaInfo(Path("a.opus"), "ogg", 24.5, "opus", 48000, 1, False)
    stored = store_transcript(session, info, "a" * 64, make_manifest(), fresh, slug="circular")
    assert segments(session)[4].person_id is None  # lost, before the voices are kept

    kept = people.keep_voices(session, stored, voices, "re-processing")
    karen = session.exec(select(Person).where(Person.name == "Karen Smith")).one()
    assert kept == [("SPEAKER_07", karen.id)]
    after = segments(session)
    assert [(s.speaker_label, s.person_id == karen.id) for s in after][4] == ("SPEAKER_07", True)
    assert after[0].person_id != karen.id  # the voice now labelled SPEAKER_02 is still Maria's
    link = session.exec(select(WebinarPerson).where(WebinarPerson.person_id == karen.id)).one()
    assert link.speaker_label == "SPEAKER_07"
    # Recorded, so the next re-processing keeps it again.
    assert [(v.label, v.person_id) for v in people.named_voices(session, w.id or 0)] == [
        ("SPEAKER_07", karen.id)
    ]
    assert c.webinar_history(session, w)[0].who == "re-processing"
