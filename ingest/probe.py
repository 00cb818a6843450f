"""Probe a recording with PyAV before any work: reject what cannot be transcribed, write nothing.

Probing demuxes every audio packet (cheap: no decoding) so a truncated file is caught by
comparing where its data really ends with the duration its header declares, and decodes the
first packets so an undecodable stream is caught before the model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from ingest.errors import InputError

# A header may estimate duration from the bitrate (MP3 without a Xing header): allow that much slack.
_TRUNCATION_SLACK = 0.03
_TRUNCATION_MIN_GAP_S = 2.0
_DECODE_CHECK_PACKETS = 20


class ProbeError(InputError):
    """The recording cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    container: str
    duration: float
    """Seconds, measured from the audio packets, not trusted from the header."""
    audio_codec: str
    sample_rate: int
    channels: int
    has_video: bool


def probe(path: Path, max_duration: float = 8 * 3600.0) -> MediaInfo:
    """Return what the pipeline needs to know about `path`, or raise `ProbeError`."""
    if not path.exists():
        raise ProbeError(f"{path}: file not found")
    if not path.is_file():
        raise ProbeError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise ProbeError(f"{path}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except av.error.InvalidDataError:
        raise ProbeError(
            f"{path}: not a recognisable audio or video file (corrupt, truncated, or not media at all)"
        ) from None
    except av.error.FFmpegError as exc:
        raise ProbeError(f"{path}: cannot be opened as media ({exc.strerror})") from None
    with container:
        has_video = bool(container.streams.video)
        if not container.streams.audio:
            what = "a video track but no audio track" if has_video else "no audio track"
            raise ProbeError(f"{path}: the recording has {what}; there is nothing to transcribe")
        stream = container.streams.audio[0]
        declared = container.duration / av.time_base if container.duration else None
        if declared is not None and declared > max_duration:
            raise ProbeError(_too_long(path, declared, max_duration))
        codec = stream.codec_context.name
        sample_rate = stream.codec_context.sample_rate or 0
        channels = stream.codec_context.channels or 0
        fmt = container.format.name
        actual = _demux_and_check(path, container, stream)
    if actual <= 0:
        raise ProbeError(f"{path}: the audio track holds no sound data")
    if actual > max_duration:
        raise ProbeError(_too_long(path, actual, max_duration))
    if declared is not None and actual < declared * (1 - _TRUNCATION_SLACK) - _TRUNCATION_MIN_GAP_S:
        raise ProbeError(
            f"{path}: the file is truncated: its header declares {declared:.0f} s "
            f"but the audio data ends at {actual:.0f} s"
        )
    return MediaInfo(path, fmt, actual, codec, sample_rate, channels, has_video)


def _demux_and_check(path: Path, container: av.container.InputContainer, stream: av.AudioStream) -> float:
    """Walk every packet; decode the first few. Returns where the audio data ends, in seconds."""
    end = 0.0
    decoded = 0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None and packet.time_base is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            if decoded < _DECODE_CHECK_PACKETS and packet.size:
                packet.decode()
                decoded += 1
    except av.error.FFmpegError as exc:
        raise ProbeError(f"{path}: the audio is corrupt and cannot be decoded ({exc.strerror})") from None
    if decoded == 0:
        raise ProbeError(f"{path}: the audio track holds no sound data")
    return end


def _too_long(path: Path, duration: float, max_duration: float) -> str:
    return (
        f"{path}: the recording lasts {duration / 3600:.2f} h, longer than the maximum of "
        f"{max_duration / 3600:.2f} h (set ARCHIVE_MAX_HOURS to change it)"
    )
