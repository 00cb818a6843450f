"""Recordings as meeting tools, phones and browsers export them: each probes, or gets one line.

The corpus (tests/media_factory.py, `LAYOUTS`) is written with PyAV at test time: a few seconds
of two_voices.opus in every layout. docs/fixtures.md has the table of layouts and outcomes.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import av
import numpy as np
import pytest

from ingest.audio import Track, choose_track, frame_channels, mix_weights
from ingest.probe import ProbeError, probe
from tests.media_factory import LAYOUTS, STILL, Layout, cut, write_layout
from tests.media_factory import Track as TrackSpec

# name -> (stream index of the track with the speech, where its audio starts on the timeline)
EXPECTED: dict[str, tuple[int, float]] = {name: (0, 0.0) for name in LAYOUTS}
EXPECTED |= {
    "mp4 audio starts 2 s late": (0, 2.0),
    "mov audio starts 2 s late": (0, 2.0),
    "mkv audio starts 2 s late": (0, 2.0),
    "m4a audio starts 2 s late": (0, 2.0),
    "mp4 2 tracks, speech on the 2nd": (1, 0.0),
    "mkv 2 tracks, hum on the 1st": (1, 0.0),
    "mkv 2 speech tracks, 2nd default": (1, 0.0),
}
# AAC's priming samples sit before the first sample written: an edit list places them 21 ms early.
START_TOLERANCE = 0.03


def _file(tmp_path: Path, name: str, layout: Layout) -> Path:
    stem = "".join(c if c.isalnum() else "_" for c in name)
    return write_layout(tmp_path / f"{stem}.{layout.suffix}", layout)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_probes_with_the_audio_s_own_length(tmp_path: Path, name: str) -> None:
    layout = LAYOUTS[name]
    info = probe(_file(tmp_path, name, layout))
    track, start = EXPECTED[name]
    spoken = layout.tracks[track]
    assert info.duration == pytest.approx(spoken.seconds, abs=0.5)
    assert info.audio_track == track
    assert info.audio_tracks == len(layout.tracks)
    assert info.audio_start == pytest.approx(start, abs=START_TOLERANCE)
    assert info.has_video == bool(layout.video)
    assert info.channels == len(spoken.gains)
    assert info.sample_rate == spoken.rate


def test_video_longer_than_audio_is_not_truncation(tmp_path: Path) -> None:
    """The reported bug: the container's duration (the video's) was taken for the audio's."""
    path = _file(tmp_path, "talk", LAYOUTS["mp4 still video 10 s longer"])
    with av.open(str(path)) as container:
        assert container.duration is not None
        assert container.duration / av.time_base == pytest.approx(14.0, abs=0.2)
    assert probe(path).duration == pytest.approx(4.0, abs=0.1)


def test_track_choice_and_downmix_are_said_in_words(tmp_path: Path) -> None:
    two = probe(_file(tmp_path, "two", LAYOUTS["mp4 2 tracks, speech on the 2nd"]))
    assert two.track_choice == "audio track 2 of 2: the loudest track; passed over: 1 (silent)"
    hum = probe(_file(tmp_path, "hum", LAYOUTS["mkv 2 tracks, hum on the 1st"]))
    assert hum.track_choice.startswith("audio track 2 of 2: the loudest track; passed over: 1 (")
    assert hum.track_choice.endswith("dB quieter)")
    default = probe(_file(tmp_path, "default", LAYOUTS["mkv 2 speech tracks, 2nd default"]))
    assert default.track_choice == "audio track 2 of 2: the default track"
    stereo = probe(_file(tmp_path, "stereo", LAYOUTS["mp4 stereo, right channel silent"]))
    assert stereo.downmix == "FL only (FR quiet)"
    wav = probe(_file(tmp_path, "wav", LAYOUTS["wav stereo, left channel silent"]))
    assert wav.downmix == "channel 2 only (channel 1 quiet)"
    surround = probe(_file(tmp_path, "surround", LAYOUTS["mp4 5.1, speech in the centre"]))
    assert surround.downmix == "FC only (FL, FR, BL, BR quiet; LFE left out)"
    room = probe(_file(tmp_path, "room", LAYOUTS["mkv 5.1 FLAC, room tone around"]))
    assert room.downmix == "average of FL, FR, FC, BL, BR (LFE left out)"
    assert probe(_file(tmp_path, "mono", LAYOUTS["mkv"])).downmix == "mono"


# --- refusals: one line, the file's name, nothing written ---------------------------------------

FASTSTART = (("movflags", "faststart"),)  # the index first, as phones write it: a cut file opens
REFUSALS: dict[str, tuple[Layout, float, str]] = {
    "mp4, still video 10 s longer, cut in half": (
        Layout("mp4", "mp4", (TrackSpec(seconds=8.0),), STILL, options=FASTSTART),
        0.5,
        "the file is truncated: its header declares 8 s of audio but the audio data ends at",
    ),
    "mkv cut in half": (
        Layout("mkv", "matroska", (TrackSpec("flac", seconds=8.0),)),
        0.5,
        "the file is truncated: its header declares 8 s of audio",
    ),
    "flac missing its last bytes": (
        Layout("flac", "flac", (TrackSpec("flac", 44_100, seconds=8.0),)),
        0.999,
        "the file is truncated: the audio breaks off at 8 s (its last packet cannot be decoded",
    ),
    "mp3 with Xing header cut in half": (
        Layout("mp3", "mp3", (TrackSpec("libmp3lame", 44_100, seconds=8.0),)),
        0.5,
        "the file is truncated: its header declares 8 s of audio",
    ),
    "mp4 with its index at the end, cut": (
        Layout("mp4", "mp4", (TrackSpec(seconds=8.0),), STILL),
        0.5,
        "not a recognisable audio or video file",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_damaged_layout_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    layout, keep, message = REFUSALS[name]
    whole = _file(tmp_path, "whole", layout)
    assert probe(whole).duration == pytest.approx(8.0, abs=0.5)
    path = cut(whole, keep, f"cut.{layout.suffix}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir())
    with pytest.raises(ProbeError) as caught:
        probe(path)
    reason = str(caught.value)
    assert message in reason
    assert reason.startswith(f"{path}: ")
    assert "\n" not in reason
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir()) == before
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_browser_recording_cut_short_is_accepted_for_what_it_holds(tmp_path: Path) -> None:
    """MediaRecorder's WebM declares no duration: a cut one cannot be told from a short one."""
    layout = Layout("webm", "webm", (TrackSpec("libopus", seconds=8.0),), options=(("live", "1"),))
    path = cut(_file(tmp_path, "rec", layout), 0.5, "cut.webm")
    assert probe(path).duration == pytest.approx(4.0, abs=0.6)


# --- the decisions, on their own ----------------------------------------------------------------


def _power(*channels: np.ndarray) -> np.ndarray:
    x = np.stack(channels).astype(np.float64)
    return np.asarray(x @ x.T / x.shape[1])


def _voice(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(rng.standard_normal(48_000) * 0.1)


def _mixed_rms(weights: tuple[float, ...], *channels: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(weights) @ np.stack(channels)) ** 2)))


def test_one_silent_channel_is_left_out_so_the_speech_keeps_its_level() -> None:
    voice = _voice(1)
    weights = mix_weights(_power(voice, np.zeros_like(voice)), ("FL", "FR"))
    assert weights == (1.0, 0.0)
    assert _mixed_rms(weights, voice, np.zeros_like(voice)) == pytest.approx(0.1, rel=0.02)


def test_dual_mono_is_averaged_unchanged() -> None:
    voice = _voice(2)
    assert mix_weights(_power(voice, voice), ("FL", "FR")) == pytest.approx((0.5, 0.5))


def test_two_voices_on_two_channels_both_stay_and_keep_most_of_their_level() -> None:
    left, right = _voice(3), _voice(4)
    weights = mix_weights(_power(left, right), ("FL", "FR"))
    assert weights == pytest.approx((1 / math.sqrt(2), 1 / math.sqrt(2)), rel=0.02)
    assert _mixed_rms(weights, left, right) == pytest.approx(0.1, rel=0.02)


def test_lfe_never_carries_the_speech_and_the_gain_is_at_most_a_sum() -> None:
    centre, rumble = _voice(5), _voice(6) * 3
    quiet = _voice(7) * 0.05  # room tone 26 dB down: within the margin, kept
    names = ("FL", "FR", "FC", "LFE", "BL", "BR")
    weights = mix_weights(_power(quiet, quiet, centre, rumble, quiet, quiet), names)
    assert weights[3] == 0.0
    assert all(w > 0 for i, w in enumerate(weights) if i != 3)
    assert sum(weights) <= 5 + 1e-9


def _track(number: int, level_db: float, default: bool = False, error: str | None = None) -> Track:
    rms = 10 ** (level_db / 20) if level_db > -math.inf else 0.0
    return Track(
        index=number - 1,
        number=number,
        codec="aac",
        sample_rate=48_000,
        channels=1,
        channel_names=("FC",),
        default=default,
        start=0.0,
        end=10.0,
        declared_end=10.0,
        packets=100,
        decoded=0 if error else 20,
        channel_rms=(rms,),
        mix_weights=(1.0,),
        error=error,
        tail_error=None,
    )


def test_the_default_track_wins_unless_it_is_silent_or_far_quieter() -> None:
    assert choose_track((_track(1, -20, default=True), _track(2, -18))) == (
        0,
        "audio track 1 of 2: the default track",
    )
    assert choose_track((_track(1, -math.inf, default=True), _track(2, -20)))[0] == 1
    assert choose_track((_track(1, -50, default=True), _track(2, -20)))[0] == 1
    assert choose_track((_track(1, -30), _track(2, -20), _track(3, -25)))[0] == 1


def test_an_undecodable_track_is_passed_over() -> None:
    index, reason = choose_track((_track(1, -10, default=True, error="Invalid data"), _track(2, -20)))
    assert index == 1
    assert reason == "audio track 2 of 2: the loudest track; passed over: 1 (undecodable: Invalid data)"


@pytest.mark.parametrize(
    ("fmt", "layout", "values", "expected"),
    [
        ("s16", "stereo", [[16384, -16384, 0, 8192]], [[0.5, 0.0], [-0.5, 0.25]]),
        ("u8", "mono", [[128, 192]], [[0.0, 0.5]]),
        ("fltp", "stereo", [[0.25, 0.5], [-1.0, 0.0]], [[0.25, 0.5], [-1.0, 0.0]]),
        ("s32p", "stereo", [[2**30, 0], [0, -(2**30)]], [[0.5, 0.0], [0.0, -0.5]]),
    ],
)
def test_frames_become_float_channels(
    fmt: str, layout: str, values: list[list[float]], expected: list[list[float]]
) -> None:
    dtype = {"s16": np.int16, "u8": np.uint8, "fltp": np.float32, "s32p": np.int32}[fmt]
    frame = av.AudioFrame.from_ndarray(np.array(values, dtype=dtype), format=fmt, layout=layout)
    assert frame_channels(frame) == pytest.approx(np.array(expected, dtype=np.float32))
