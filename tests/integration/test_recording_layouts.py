"""The audio the transcriber hears from each layout: the right track, full level, player times.

Transcript times are the container's presentation times, the timeline the player seeks on
(`<video>.currentTime`): for audio that starts 2 s into the file, a word spoken 0.6 s into the
audio is at 2.6 s. The `slow` tests run the real model (tiny.en) on four layouts and check that
known words land where they are in the source audio.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.audio import load
from ingest.document import Transcript
from ingest.probe import probe
from ingest.transcribe import transcribe
from tests.media_factory import (
    LAYOUTS,
    SPEECH_SOURCE,
    STILL,
    THANK_YOU_AT,
    Layout,
    Track,
    cut,
    frames_every,
    speech,
    write_layout,
)

RATE = 16_000
WORD_TOLERANCE_S = 0.5


def _write(tmp_path: Path, layout: Layout, stem: str = "rec") -> Path:
    return write_layout(tmp_path / f"{stem}.{layout.suffix}", layout)


def _onset(audio: np.ndarray, threshold: float = 0.02) -> float:
    return float(np.argmax(np.abs(audio) > threshold)) / RATE


def _rms_db(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))))


def test_a_mono_recording_decodes_exactly_as_faster_whisper_does() -> None:
    from faster_whisper import decode_audio

    expected = decode_audio(str(SPEECH_SOURCE), sampling_rate=RATE)
    assert np.array_equal(load(SPEECH_SOURCE).samples, expected)


@pytest.mark.parametrize(
    "name",
    [
        "mp4 stereo, right channel silent",
        "wav stereo, left channel silent",
        "mp4 5.1, speech in the centre",
        "mkv 5.1 FLAC, room tone around",
        "ogg vorbis stereo",
        "mp4 2 tracks, speech on the 2nd",
        "wav 8 kHz mu-law",
    ],
)
def test_the_downmix_keeps_the_speech_at_its_level(tmp_path: Path, name: str) -> None:
    source = speech(RATE, 4.0)
    audio = load(_write(tmp_path, LAYOUTS[name])).samples
    assert _rms_db(audio[: len(source)]) == pytest.approx(_rms_db(source), abs=1.0)


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("mp4 audio starts 2 s late", 2.0),
        ("mov audio starts 2 s late", 2.0),
        ("mkv audio starts 2 s late", 2.0),
        ("m4a audio starts 2 s late", 2.0),
        ("mp4 still video 10 s longer", 0.0),
        ("webm MediaRecorder VP8+Opus", 0.0),
    ],
)
def test_the_audio_sits_on_the_player_timeline(tmp_path: Path, name: str, start: float) -> None:
    audio = load(_write(tmp_path, LAYOUTS[name])).samples
    first_sound = _onset(speech(RATE, 4.0))
    assert _onset(audio) == pytest.approx(start + first_sound, abs=0.03)
    assert len(audio) / RATE == pytest.approx(start + 4.0, abs=0.05)


def test_a_gap_in_the_audio_timestamps_becomes_silence(tmp_path: Path) -> None:
    """A recorder that drops 1.5 s of audio leaves a hole in its timestamps; the player plays
    silence there, so the decoded audio has it too and later words keep their times."""
    layout = Layout("mkv", "matroska", (Track("flac", gap=(2.0, 1.5)),))
    audio = load(_write(tmp_path, layout)).samples
    source = speech(RATE, 4.0)
    assert len(audio) / RATE == pytest.approx(5.5, abs=0.05)
    assert not np.any(audio[int(2.05 * RATE) : int(3.45 * RATE)])
    after = audio[int(3.5 * RATE) :]
    assert np.corrcoef(after[: RATE // 2], source[2 * RATE : 2 * RATE + RATE // 2])[0, 1] > 0.95


def test_cli_refuses_a_truncated_recording_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    layout = Layout("mp4", "mp4", (Track(seconds=8.0),), STILL, options=(("movflags", "faststart"),))
    path = cut(_write(tmp_path, layout, "whole"), 0.5, "cut.mp4")
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "transcribe", str(path), "-o", str(out / "t.json")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ARCHIVE_DATA_DIR": str(tmp_path / "var")},
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert result.returncode != 0
    assert "the file is truncated: its header declares 8 s of audio" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --- the real model ------------------------------------------------------------------------------

# Two utterances: "Welcome to this short update ..." and "Thank you, Elena. I work for Kent ...".
SECONDS = 11.0
TRANSCRIBED: dict[str, tuple[Layout, int, float]] = {
    # name -> (layout, stream index of the speech, where the audio starts on the player timeline)
    "video 10 s longer than the audio": (
        Layout("mp4", "mp4", (Track(seconds=SECONDS),), frames_every(1.0, SECONDS + 10)),
        0,
        0.0,
    ),
    "audio starting 2 s late (edit list)": (
        Layout("mp4", "mp4", (Track(seconds=SECONDS, start=2.0),), frames_every(1.0, SECONDS + 2)),
        0,
        2.0,
    ),
    "2 audio tracks, speech on the 2nd": (
        Layout(
            "mkv", "matroska", (Track("flac", gains=(0.0,), seconds=SECONDS), Track("flac", seconds=SECONDS))
        ),
        1,
        0.0,
    ),
    "stereo, right channel silent": (
        Layout("m4a", "ipod", (Track(layout="stereo", gains=(1.0, 0.0), seconds=SECONDS),)),
        0,
        0.0,
    ),
}


def _word_start(transcript: Transcript, word: str) -> float:
    for segment in transcript.segments:
        for w in segment.words:
            if _plain(w.text) == word:
                return w.start
    raise AssertionError(f"{word!r} not recognised in {transcript.text!r}")


def _plain(text: str) -> str:
    return text.strip(" ,.?!").casefold()


def _words(transcript: Transcript) -> list[tuple[str, float]]:
    return [(_plain(w.text), w.start) for segment in transcript.segments for w in segment.words]


@pytest.fixture(scope="module")
def plain_transcript(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """The same speech as a plain mono WAV starting at 0: the reference for word times."""
    layout = Layout("wav", "wav", (Track("pcm_s16le", 16_000, seconds=SECONDS),))
    return transcribe(_write(tmp_path_factory.mktemp("plain"), layout))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRANSCRIBED))
def test_word_times_are_where_the_words_are_in_the_media(
    tmp_path: Path, name: str, plain_transcript: Transcript
) -> None:
    layout, track, start = TRANSCRIBED[name]
    path = _write(tmp_path, layout)
    info = probe(path)
    assert info.audio_track == track
    assert info.audio_start == pytest.approx(start, abs=0.03)
    transcript = transcribe(path)
    assert transcript.audio_track == track
    assert transcript.duration == pytest.approx(start + SECONDS, abs=0.1)
    assert "kent county council" in transcript.text.casefold()
    # The second utterance's first word: its start is exact in two_voices.json. (The first
    # word of the recording is not used: voice activity detection pads the speech it hands the
    # model by 0.4 s, and Whisper puts the first word at the start of that padding.)
    thank = _word_start(transcript, "thank")
    assert thank == pytest.approx(start + THANK_YOU_AT, abs=WORD_TOLERANCE_S)
    # Every word where the plain recording has it, shifted by where the audio starts.
    reference, words = _words(plain_transcript), _words(transcript)
    matcher = difflib.SequenceMatcher(a=[w for w, _ in reference], b=[w for w, _ in words], autojunk=False)
    pairs = [
        (reference[block.a + k][1], words[block.b + k][1])
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]
    assert len(pairs) >= 0.8 * len(reference)
    shifts = [abs(at - start - expected) for expected, at in pairs]
    assert max(shifts) <= WORD_TOLERANCE_S
    print(f"\n{name}: 'thank' at {thank:.2f} s; {len(pairs)} words, largest shift {max(shifts):.2f} s")


def test_one_ingest_decodes_a_recording_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transcription and the diarizer both `load` the file; inside `decoding_once` the second
    gets the first's samples, a changed file is decoded again, and nothing is held after."""
    import os

    from ingest import audio

    path = tmp_path / "rec.opus"
    path.write_bytes(SPEECH_SOURCE.read_bytes())
    decoded: list[tuple[Path, int]] = []
    real_decode = audio._decode

    def counting(source: Path, sample_rate: int) -> audio.LoadedAudio:
        decoded.append((source, sample_rate))
        return real_decode(source, sample_rate)

    monkeypatch.setattr(audio, "_decode", counting)
    with audio.decoding_once():
        first = audio.load(path, RATE)
        again = audio.load(tmp_path / "." / "rec.opus", RATE)
        assert again.samples is first.samples
        assert len(decoded) == 1
        audio.load(path, 8_000)  # another rate is another decoding
        assert len(decoded) == 2
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # the file changed
        assert audio.load(path, RATE).samples is not first.samples
        assert len(decoded) == 3
    after = audio.load(path, RATE)
    assert after.samples is not first.samples
    assert len(decoded) == 4
    np.testing.assert_array_equal(after.samples, first.samples)
