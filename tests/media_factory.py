"""Small synthetic recordings written with PyAV, so probe tests cover every container.

Tests build these at run time (milliseconds each) instead of committing one file per format.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# container suffix -> (format name for PyAV, audio codec)
AUDIO_FORMATS: dict[str, tuple[str, str]] = {
    "mp4": ("mp4", "aac"),
    "m4a": ("ipod", "aac"),
    "mov": ("mov", "aac"),
    "mkv": ("matroska", "flac"),
    "webm": ("webm", "libopus"),
    "mp3": ("mp3", "libmp3lame"),
    "wav": ("wav", "pcm_s16le"),
    "ogg": ("ogg", "libopus"),
    "opus": ("opus", "libopus"),
    "flac": ("flac", "flac"),
}


def write_tone(path: Path, seconds: float = 3.0, with_video: bool = False) -> Path:
    """A sine tone (and optionally a tiny video track) in the container named by the suffix."""
    fmt, codec = AUDIO_FORMATS[path.suffix.lstrip(".")]
    rate = 48_000 if "opus" in codec else 44_100
    with av.open(str(path), "w", format=fmt) as container:
        video = _add_video(container) if with_video else None
        audio = container.add_stream(codec, rate=rate)
        assert isinstance(audio, av.AudioStream)
        audio.layout = "mono"
        samples = int(seconds * rate)
        t = np.arange(samples) / rate
        pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        chunk = 1024
        for offset in range(0, samples, chunk):
            frame = av.AudioFrame.from_ndarray(
                pcm[None, offset : offset + chunk], format="s16", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = offset
            frame.time_base = Fraction(1, rate)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
        if video is not None:
            _write_frames(container, video, int(seconds * 10))
    return path


def write_video_only(path: Path, seconds: float = 2.0) -> Path:
    with av.open(str(path), "w") as container:
        _write_frames(container, _add_video(container), int(seconds * 10))
    return path


def _add_video(container: av.container.OutputContainer) -> av.VideoStream:
    video = container.add_stream("mpeg4", rate=10)
    assert isinstance(video, av.VideoStream)
    video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
    return video


def _write_frames(container: av.container.OutputContainer, stream: av.VideoStream, count: int) -> None:
    for i in range(count):
        image = np.full((64, 64, 3), (i * 9) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


# --- recordings as meeting tools, phones and browsers export them ------------------------------
#
# Each layout is a few seconds of real speech: the start of tests/data/two_voices.opus, whose
# first word, "Welcome", begins at 0.6 s and whose second utterance, "Thank you, Elena", at
# 5.534 s (tests/data/two_voices.json). docs/fixtures.md lists the layouts and their outcomes.

SPEECH_SOURCE = Path(__file__).parent / "data" / "two_voices.opus"
WELCOME_AT = 0.6
THANK_YOU_AT = 5.534


@functools.cache
def speech(rate: int, seconds: float) -> np.ndarray:
    """The first `seconds` of two_voices.opus as mono float32 at `rate` (cached per process)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    pieces: list[np.ndarray] = []
    with av.open(str(SPEECH_SOURCE)) as container:
        for frame in container.decode(audio=0):
            pieces.extend(f.to_ndarray()[0] for f in resampler.resample(frame))
    pieces.extend(f.to_ndarray()[0] for f in resampler.resample(None))
    audio = np.concatenate(pieces)[: int(seconds * rate)]
    audio.flags.writeable = False
    return audio


@dataclass(frozen=True)
class Track:
    """One audio track: `gains` says what each channel holds (1.0: the speech, 0.0: silence,
    a small value: noise at that RMS)."""

    codec: str = "aac"
    rate: int = 48_000
    layout: str = "mono"
    gains: tuple[float, ...] = (1.0,)
    seconds: float = 4.0
    start: float = 0.0
    """Container time of its first sample: above 0, the audio starts late."""
    default: bool | None = None
    """Set the default disposition on (True) or off (False); None leaves the muxer's choice."""
    gap: tuple[float, float] | None = None
    """(at, length): after `at` seconds of audio its timestamps jump `length` seconds ahead."""


@dataclass(frozen=True)
class Layout:
    suffix: str
    format: str
    tracks: tuple[Track, ...]
    video: tuple[float, ...] = ()
    """Times (s) of the video frames; empty for no video. Irregular steps make it VFR."""
    video_codec: str = "mpeg4"
    options: tuple[tuple[str, str], ...] = ()
    """Muxer options (e.g. live=1 for a MediaRecorder-like WebM without duration or cues)."""


def frames_every(step: float, until: float, start: float = 0.0) -> tuple[float, ...]:
    return tuple(round(start + i * step, 3) for i in range(round((until - start) / step) + 1))


def write_layout(path: Path, layout: Layout) -> Path:
    """Write `layout` at `path` with PyAV: every track from the speech source, then the video."""
    with av.open(str(path), "w", format=layout.format, options=dict(layout.options)) as container:
        audio = [_add_audio(container, track) for track in layout.tracks]
        video = _add_timed_video(container, layout.video_codec) if layout.video else None
        for stream, track in zip(audio, layout.tracks, strict=True):
            _encode_track(container, stream, track)
        if video is not None:
            _encode_timed_frames(container, video, layout.video)
    return path


def _add_audio(container: av.container.OutputContainer, track: Track) -> av.AudioStream:
    stream = container.add_stream(track.codec, rate=track.rate)
    assert isinstance(stream, av.AudioStream)
    stream.layout = track.layout
    if track.codec == "vorbis":
        stream.codec_context.options = {"strict": "experimental"}  # FFmpeg's own encoder
    if track.default is not None:
        stream.disposition = av.stream.Disposition.default if track.default else av.stream.Disposition(0)
    return stream


def _encode_track(container: av.container.OutputContainer, stream: av.AudioStream, track: Track) -> None:
    voice = speech(track.rate, track.seconds)
    rng = np.random.default_rng(7)
    channels = []
    for gain in track.gains:
        if gain >= 0.5:
            channels.append(voice * gain)
        else:  # silence (0) or a noise bed with this RMS
            channels.append((rng.standard_normal(len(voice)) * gain).astype(np.float32))
    pcm = np.stack(channels).astype(np.float32)
    first = round(track.start * track.rate)
    gap_at, gap = (
        (round(track.gap[0] * track.rate), round(track.gap[1] * track.rate)) if track.gap else (0, 0)
    )
    chunk = 1024
    for offset in range(0, pcm.shape[1], chunk):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm[:, offset : offset + chunk]), format="fltp", layout=track.layout
        )
        frame.sample_rate = track.rate
        frame.pts = first + offset + (gap if gap and offset >= gap_at else 0)
        frame.time_base = Fraction(1, track.rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _add_timed_video(container: av.container.OutputContainer, codec: str) -> av.VideoStream:
    video = container.add_stream(codec, rate=30)
    assert isinstance(video, av.VideoStream)
    video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
    video.codec_context.time_base = Fraction(1, 1000)
    return video


def _encode_timed_frames(
    container: av.container.OutputContainer, stream: av.VideoStream, times: tuple[float, ...]
) -> None:
    for i, at in enumerate(times):
        image = np.full((64, 64, 3), 40 + (i * 9) % 200, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = round(at * 1000)
        frame.time_base = Fraction(1, 1000)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def cut(path: Path, keep: float, name: str) -> Path:
    """A copy of `path` with only the first `keep` (a fraction) of its bytes, as an aborted copy."""
    data = path.read_bytes()
    out = path.with_name(name)
    out.write_bytes(data[: int(len(data) * keep)])
    return out


STILL = frames_every(1.0, 14.0)
"""A slide show: one frame a second for 14 s, 10 s past the 4 s of audio."""
SHORT_VIDEO = frames_every(0.1, 2.0)
VFR = (0.0, 0.033, 0.05, 0.4, 0.41, 0.9, 1.6, 1.633, 2.2, 2.9, 3.0, 3.5, 3.95)
"""Irregular frame times, as a screen recorder writes only when the screen changes."""

LAYOUTS: dict[str, Layout] = {
    # Video and audio of different lengths
    "mp4 still video 10 s longer": Layout("mp4", "mp4", (Track(),), STILL),
    "mp4 video shorter": Layout("mp4", "mp4", (Track(),), SHORT_VIDEO),
    "mkv still video 10 s longer": Layout("mkv", "matroska", (Track("libopus"),), STILL),
    "mov still video 10 s longer": Layout("mov", "mov", (Track(),), STILL),
    "mp4 variable frame rate": Layout("mp4", "mp4", (Track(),), VFR),
    "mkv variable frame rate": Layout("mkv", "matroska", (Track("flac"),), VFR),
    # Audio that starts late: an edit list (MP4, MOV) or a start timestamp (Matroska)
    "mp4 audio starts 2 s late": Layout("mp4", "mp4", (Track(start=2.0),), frames_every(0.5, 6.0)),
    "mov audio starts 2 s late": Layout("mov", "mov", (Track(start=2.0),), frames_every(0.5, 6.0)),
    "mkv audio starts 2 s late": Layout(
        "mkv", "matroska", (Track("flac", start=2.0),), frames_every(0.5, 6.0)
    ),
    "m4a audio starts 2 s late": Layout("m4a", "ipod", (Track(start=2.0),)),
    # Several audio tracks
    "mp4 2 tracks, speech on the 2nd": Layout("mp4", "mp4", (Track(gains=(0.0,)), Track()), STILL),
    "mkv 2 tracks, hum on the 1st": Layout("mkv", "matroska", (Track("flac", gains=(0.001,)), Track("flac"))),
    "mkv 2 speech tracks, 2nd default": Layout(
        "mkv", "matroska", (Track("flac", default=False), Track("flac", default=True))
    ),
    # Channels
    "mp4 stereo, right channel silent": Layout("mp4", "mp4", (Track(layout="stereo", gains=(1.0, 0.0)),)),
    "wav stereo, left channel silent": Layout(
        "wav", "wav", (Track("pcm_s16le", 44_100, "stereo", (0.0, 1.0)),)
    ),
    "mp4 5.1, speech in the centre": Layout(
        "mp4", "mp4", (Track(layout="5.1", gains=(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)),)
    ),
    "mkv 5.1 FLAC, room tone around": Layout(
        "mkv", "matroska", (Track("flac", layout="5.1", gains=(0.003, 0.003, 1.0, 0.0, 0.003, 0.003)),)
    ),
    # Telephone
    "wav 8 kHz mu-law": Layout("wav", "wav", (Track("pcm_mulaw", 8_000),)),
    "mp3 8 kHz": Layout("mp3", "mp3", (Track("libmp3lame", 8_000),)),
    # Browsers (MediaRecorder: live WebM, no duration and no cues in the header)
    "webm MediaRecorder audio": Layout("webm", "webm", (Track("libopus"),), options=(("live", "1"),)),
    "webm MediaRecorder VP8+Opus": Layout(
        "webm", "webm", (Track("libopus"),), frames_every(1 / 30, 4.0), "libvpx", (("live", "1"),)
    ),
    # Plain containers
    "mkv": Layout("mkv", "matroska", (Track("flac"),)),
    "mov": Layout("mov", "mov", (Track(),)),
    "m4a": Layout("m4a", "ipod", (Track(),)),
    "mp3 without Xing header": Layout(
        "mp3", "mp3", (Track("libmp3lame", 44_100),), options=(("write_xing", "0"),)
    ),
    "mp3 with Xing header": Layout("mp3", "mp3", (Track("libmp3lame", 44_100),)),
    "wav": Layout("wav", "wav", (Track("pcm_s16le", 44_100),)),
    "flac": Layout("flac", "flac", (Track("flac", 44_100),)),
    "ogg opus": Layout("ogg", "ogg", (Track("libopus"),)),
    "ogg vorbis stereo": Layout("ogg", "ogg", (Track("vorbis", 44_100, "stereo", (1.0, 1.0)),)),
}
