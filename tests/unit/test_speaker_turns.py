"""Pure logic of ingest/speakers.py: words to turns, segment splitting, clipping, DER."""

from __future__ import annotations

import pytest

from ingest.document import Segment, Word
from ingest.speakers import (
    SpeakerTurn,
    assign_speakers,
    check_speaker_hints,
    clip_to_speech,
    diarization_error_rate,
    diarization_score,
    distinct_speakers,
    extended_regions,
    relabel_by_first_appearance,
)


def w(start: float, end: float, text: str) -> Word:
    return Word(start=start, end=end, text=text, probability=0.9)


def seg(id_: int, words: list[Word], text: str | None = None) -> Segment:
    return Segment(
        id=id_,
        start=words[0].start,
        end=words[-1].end,
        text=text if text is not None else "".join(x.text for x in words).strip(),
        words=words,
    )


def T(start: float, end: float, speaker: str) -> SpeakerTurn:
    return SpeakerTurn(start=start, end=end, speaker=speaker)


def test_segment_within_one_turn_keeps_text_and_gets_speaker() -> None:
    segment = seg(7, [w(1.0, 1.4, " Hello"), w(1.5, 2.0, " there.")], text="Hello there.")
    out = assign_speakers([segment], [T(0.0, 5.0, "S0")])
    assert len(out) == 1
    assert out[0].id == 0
    assert out[0].speaker == "S0"
    assert out[0].text == "Hello there."
    assert (out[0].start, out[0].end) == (1.0, 2.0)
    assert segment.speaker is None, "the input is not modified"


def test_segment_split_between_words_at_speaker_change() -> None:
    words = [
        w(0.0, 0.4, " Thanks"),
        w(0.5, 0.9, " Marek."),
        w(1.3, 1.6, " You're"),
        w(1.6, 2.0, " welcome."),
    ]
    segment = Segment(id=3, start=0.0, end=2.2, text="Thanks Marek. You're welcome.", words=words)
    out = assign_speakers([segment], [T(0.0, 1.0, "S0"), T(1.2, 2.5, "S1")])
    assert [(s.id, s.speaker, s.text) for s in out] == [
        (0, "S0", "Thanks Marek."),
        (1, "S1", "You're welcome."),
    ]
    assert (out[0].start, out[0].end) == (0.0, 0.9)
    assert (out[1].start, out[1].end) == (1.3, 2.2), "the last piece keeps the segment's end"
    assert [x.text for x in out[1].words] == [" You're", " welcome."]


def test_word_goes_to_the_turn_it_overlaps_most() -> None:
    # " boundary" overlaps S0 by 0.1 s and S1 by 0.3 s.
    words = [w(0.0, 0.5, " a"), w(0.9, 1.3, " boundary"), w(1.5, 1.9, " word")]
    out = assign_speakers([seg(0, words)], [T(0.0, 1.0, "S0"), T(1.0, 2.0, "S1")])
    assert [(s.speaker, s.text) for s in out] == [("S0", "a"), ("S1", "boundary word")]


def test_overlap_is_summed_per_speaker() -> None:
    # S0 has two short turns covering the word (0.2 + 0.2 s) against one 0.3 s turn of S1.
    words = [w(0.0, 1.0, " word")]
    turns = [T(0.0, 0.2, "S0"), T(0.3, 0.6, "S1"), T(0.8, 1.0, "S0")]
    assert assign_speakers([seg(0, words)], turns)[0].speaker == "S0"


def test_word_in_a_gap_goes_to_the_nearest_turn() -> None:
    words = [w(0.0, 0.4, " one"), w(2.6, 2.9, " two"), w(3.5, 3.8, " three")]
    turns = [T(0.0, 1.0, "S0"), T(3.0, 4.0, "S1")]
    out = assign_speakers([seg(0, words)], turns)
    assert [(s.speaker, s.text) for s in out] == [("S0", "one"), ("S1", "two three")]


def test_word_before_all_turns_and_after_all_turns() -> None:
    words = [w(0.0, 0.3, " early"), w(10.0, 10.3, " late")]
    turns = [T(2.0, 3.0, "S1"), T(5.0, 6.0, "S0")]
    out = assign_speakers([seg(0, words)], turns)
    assert [(s.speaker, s.text) for s in out] == [("S1", "early"), ("S0", "late")]


def test_nearest_turn_found_past_a_long_earlier_turn() -> None:
    # A long turn of S0 ends at 5.0; a later short S1 turn ends at 4.0. The word at 5.2 is
    # nearest to S0's end, even though S1's turn starts later.
    turns = [T(0.0, 5.0, "S0"), T(3.0, 4.0, "S1")]
    out = assign_speakers([seg(0, [w(5.2, 5.4, " x")])], turns)
    assert out[0].speaker == "S0"


def test_segment_without_words_gets_the_most_overlapping_speaker() -> None:
    segment = Segment(id=0, start=0.5, end=3.0, text="No word times here.")
    out = assign_speakers([segment], [T(0.0, 1.0, "S0"), T(1.0, 3.5, "S1")])
    assert [(s.speaker, s.text, s.words) for s in out] == [("S1", "No word times here.", [])]


def test_segment_without_words_outside_all_turns_gets_the_nearest() -> None:
    segment = Segment(id=0, start=7.0, end=8.0, text="Late.")
    out = assign_speakers([segment], [T(0.0, 1.0, "S0"), T(2.0, 6.5, "S1")])
    assert out[0].speaker == "S1"


def test_no_output_segment_holds_two_speakers_and_ids_follow_time() -> None:
    words_a = [w(i * 0.5, i * 0.5 + 0.4, f" a{i}") for i in range(10)]  # 0.0 .. 4.9
    words_b = [w(5.0 + i * 0.5, 5.0 + i * 0.5 + 0.4, f" b{i}") for i in range(10)]  # 5.0 .. 9.9
    # Given out of order: ids must be renumbered by time.
    segments = [seg(1, words_b), seg(0, words_a)]
    turns = [T(0.0, 2.0, "S0"), T(2.0, 6.0, "S1"), T(6.0, 8.0, "S0"), T(8.0, 10.0, "S2")]
    out = assign_speakers(segments, turns)
    assert [s.id for s in out] == list(range(len(out)))
    assert [s.start for s in out] == sorted(s.start for s in out)
    assert [s.speaker for s in out] == ["S0", "S1", "S1", "S0", "S2"]
    for piece in out:
        assert piece.text == "".join(x.text for x in piece.words).strip()
    all_words = [x for piece in out for x in piece.words]
    assert all_words == words_a + words_b, "every word kept once, none split"


def test_consecutive_same_speaker_words_stay_in_one_piece() -> None:
    words = [w(0.0, 0.4, " one"), w(0.5, 0.9, " two"), w(1.0, 1.4, " three")]
    out = assign_speakers([seg(0, words)], [T(0.0, 0.6, "S0"), T(0.6, 2.0, "S0")])
    assert len(out) == 1
    assert out[0].speaker == "S0"


def test_split_pieces_copy_structure_fields_and_remap_answers() -> None:
    question = seg(0, [w(0.0, 0.5, " Why?")])
    answer = seg(1, [w(1.0, 1.5, " Because"), w(3.0, 3.5, " yes.")])
    answer.kind = "answer"
    answer.answers = 0
    answer.resources = [2]
    turns = [T(0.0, 0.6, "S0"), T(0.9, 2.0, "S1"), T(2.9, 4.0, "S2")]
    out = assign_speakers([question, answer], turns)
    assert [(s.id, s.speaker, s.kind, s.answers, s.resources) for s in out] == [
        (0, "S0", "other", None, []),
        (1, "S1", "answer", 0, [2]),
        (2, "S2", "answer", 0, [2]),
    ]
    out[1].resources.append(9)
    assert answer.resources == [2], "pieces do not share lists with the input"


def test_answers_follow_a_split_question_to_its_first_piece() -> None:
    intro = seg(0, [w(0.0, 0.4, " Hi.")])
    question = seg(5, [w(1.0, 1.4, " Right."), w(2.0, 2.4, " So?")])
    answer = seg(6, [w(3.0, 3.4, " Yes.")])
    answer.answers = 5
    turns = [T(0.0, 1.5, "S0"), T(1.9, 2.5, "S1"), T(2.9, 3.5, "S0")]
    out = assign_speakers([intro, question, answer], turns)
    assert [(s.id, s.text) for s in out] == [(0, "Hi."), (1, "Right."), (2, "So?"), (3, "Yes.")]
    assert out[3].answers == 1


def test_no_turns_leaves_speakers_alone_but_renumbers() -> None:
    segment = seg(4, [w(0.0, 0.4, " hi")])
    segment.speaker = "S3"
    out = assign_speakers([segment], [])
    assert [(s.id, s.speaker) for s in out] == [(0, "S3")]


def test_empty_transcript() -> None:
    assert assign_speakers([], [T(0.0, 1.0, "S0")]) == []


def test_relabel_by_first_appearance() -> None:
    turns = [T(5.0, 6.0, "SPEAKER_01"), T(0.0, 1.0, "SPEAKER_02"), T(2.0, 3.0, "SPEAKER_01")]
    out = relabel_by_first_appearance(turns)
    assert out == [T(0.0, 1.0, "S0"), T(2.0, 3.0, "S1"), T(5.0, 6.0, "S1")]
    assert distinct_speakers(out) == ["S0", "S1"]


def test_clip_to_speech_cuts_turns_to_voice_activity() -> None:
    turns = [T(0.0, 2.0, "A"), T(2.0, 6.0, "B")]
    speech = [(0.5, 1.0), (1.5, 3.0), (5.0, 5.005), (5.5, 9.0)]
    assert clip_to_speech(turns, speech) == [
        T(0.5, 1.0, "A"),
        T(1.5, 2.0, "A"),
        T(2.0, 3.0, "B"),
        T(5.5, 6.0, "B"),
    ]
    assert clip_to_speech(turns, []) == []


@pytest.mark.parametrize(
    ("min_speakers", "max_speakers", "num_speakers"),
    [(0, 12, None), (3, 2, None), (1, 12, 0)],
)
def test_impossible_speaker_hints_are_rejected(
    min_speakers: int, max_speakers: int, num_speakers: int | None
) -> None:
    with pytest.raises(ValueError, match="speakers"):
        check_speaker_hints(min_speakers, max_speakers, num_speakers)


def test_der_is_zero_for_a_relabelled_perfect_answer() -> None:
    ref = [T(0.0, 2.0, "alice"), T(2.0, 5.0, "bob"), T(6.0, 7.0, "alice")]
    hyp = [T(0.0, 2.0, "S1"), T(2.0, 5.0, "S0"), T(6.0, 7.0, "S1")]
    der, mapping = diarization_error_rate(ref, hyp)
    assert der == pytest.approx(0.0)
    assert mapping == {"S1": "alice", "S0": "bob"}


def test_der_counts_missed_false_alarm_and_confusion() -> None:
    ref = [T(0.0, 4.0, "alice"), T(4.0, 10.0, "bob")]  # 10 s of speech
    hyp = [
        T(0.0, 3.0, "X"),  # 1 s of alice missed
        T(4.0, 8.0, "Y"),
        T(8.0, 10.0, "X"),  # 2 s of bob given to alice's label: confusion
        T(11.0, 12.0, "Y"),  # 1 s false alarm
    ]
    der, _ = diarization_error_rate(ref, hyp)
    assert der == pytest.approx((1 + 1 + 2) / 10, abs=0.005)


def test_der_merged_speakers_and_collar() -> None:
    ref = [T(0.0, 5.0, "alice"), T(5.0, 10.0, "bob")]
    der, _ = diarization_error_rate(ref, [T(0.0, 10.0, "S0")])
    assert der == pytest.approx(0.5, abs=0.005)
    # A boundary 0.2 s late is forgiven by a 0.25 s collar.
    late = [T(0.0, 5.2, "S0"), T(5.2, 10.0, "S1")]
    assert diarization_error_rate(ref, late)[0] == pytest.approx(0.02, abs=0.002)
    assert diarization_error_rate(ref, late, collar=0.25)[0] == pytest.approx(0.0, abs=0.002)


def test_score_parts_right_speaker_share_and_overlap_left_out() -> None:
    # alice 0-6, bob 4-10: 2 s of overlap, 12 s of per-person speech time.
    ref = [T(0.0, 6.0, "alice"), T(4.0, 10.0, "bob")]
    hyp = [T(0.0, 5.0, "S0"), T(5.0, 10.0, "S1")]  # one voice at a time
    score = diarization_score(ref, hyp)
    assert score.reference == pytest.approx(12.0, abs=0.02)
    assert score.missed == pytest.approx(2.0, abs=0.02)  # the overlap: one label per moment
    assert score.false_alarm == pytest.approx(0.0, abs=0.02)
    assert score.confusion == pytest.approx(0.0, abs=0.02)
    assert score.right_speaker == pytest.approx(10.0 / 12.0, abs=0.002)
    assert score.der == pytest.approx(2.0 / 12.0, abs=0.002)
    assert score.mapping == {"S0": "alice", "S1": "bob"}
    # Without the overlapping 2 s: 8 s of speech, all on the right person.
    alone = diarization_score(ref, hyp, skip_overlap=True)
    assert alone.reference == pytest.approx(8.0, abs=0.02)
    assert alone.der == pytest.approx(0.0, abs=0.002)
    assert diarization_error_rate(ref, hyp, skip_overlap=True)[0] == pytest.approx(0.0, abs=0.002)


def test_score_of_nothing_and_of_speech_found_in_silence() -> None:
    assert diarization_score([], []).der == 0.0
    assert diarization_score([], [T(0.0, 1.0, "S0")]).der == 1.0
    assert diarization_score([], []).right_speaker == 1.0


def test_speech_regions_are_extended_never_added() -> None:
    anchors = [(1.0, 2.0), (10.0, 10.5)]
    wide = [(0.5, 2.6), (5.0, 6.0), (9.0, 10.2), (10.5, 11.0), (20.0, 21.0)]
    # (10.5, 11.0) only touches the anchor's end; (5, 6) and (20, 21) hold no detection.
    assert extended_regions(wide, anchors) == [(0.5, 2.6), (9.0, 10.2)]
    assert extended_regions(wide, []) == []
    assert extended_regions([], anchors) == []
