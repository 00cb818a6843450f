"""Small synthetic recordings written with PyAV, so probe tests cover every container.

Tests build these at run time (milliseconds each) instead of committing one file per format.
"""

from __future__ import annotations

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
