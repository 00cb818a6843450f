"""Probe a recording with PyAV before any work: reject what cannot be transcribed, write nothing.

Probing demuxes every audio packet (cheap: few are decoded) and samples each audio track
(`ingest.audio.scan`), which also chooses the track to transcribe. Truncation is judged on that
audio track alone: where its packet data ends against the duration its own header entry
declares, and whether its last packets decode. The container's duration is never used for
this, since it covers the video too: a still-image video track that outlasts the audio is a
valid recording, not a truncated one. The first packets are decoded so an undecodable stream is
caught before the model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from ingest.audio import declared_end, scan
from ingest.errors import InputError

# A header may estimate duration from the bitrate (MP3 without a Xing header): allow that much slack.
_TRUNCATION_SLACK = 0.03
_TRUNCATION_MIN_GAP_S = 2.0


class ProbeError(InputError):
    """The recording cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    container: str
    duration: float
    """Seconds of audio, measured from the chosen track's packets, not trusted from the header."""
    audio_codec: str
    sample_rate: int
    channels: int
    has_video: bool
    audio_track: int = 0
    """The container stream index of the audio track transcribed."""
    audio_tracks: int = 1
    """How many audio tracks the file has."""
    track_choice: str = "the only audio track"
    """Why that track, in words (ingest.audio.choose_track)."""
    audio_start: float = 0.0
    """Where the audio starts on the player's timeline (seconds); transcript times include it."""
    downmix: str = "mono"
    """How its channels become mono, in words ("FL only (FR left out: silent or LFE)")."""


def probe(path: Path, max_duration: float = 8 * 3600.0) -> MediaInfo:
    """Return what the pipeline needs to know about `path`, or raise `ProbeError`."""
    if not path.exists():
        raise ProbeError(f"{path}: file not found")
    if not path.is_file():
        raise ProbeError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise ProbeError(f"{path}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path), metadata_errors="ignore")
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
        # Refuse an over-long recording before reading it through; only audio durations count.
        ends = [declared_end(container, s, str(path)) for s in container.streams.audio]
        longest = max((e for e in ends if e is not None), default=None)
        if longest is not None and longest > max_duration:
            raise ProbeError(_too_long(path, longest, max_duration))
    try:
        found = scan(path)
    except av.error.FFmpegError as exc:
        raise ProbeError(f"{path}: cannot be read as media ({exc.strerror})") from None
    track = found.track
    if not any(t.usable for t in found.tracks):
        broken = next((t for t in found.tracks if t.error), None)
        if broken is not None:
            raise ProbeError(f"{path}: the audio is corrupt and cannot be decoded ({broken.error})")
        raise ProbeError(f"{path}: the audio track holds no sound data")
    actual = track.length
    if actual <= 0:
        raise ProbeError(f"{path}: the audio track holds no sound data")
    if actual > max_duration:
        raise ProbeError(_too_long(path, actual, max_duration))
    start = track.start or 0.0
    if track.declared_end is not None:
        declared = track.declared_end - start
        if actual < declared * (1 - _TRUNCATION_SLACK) - _TRUNCATION_MIN_GAP_S:
            raise ProbeError(
                f"{path}: the file is truncated: its header declares {declared:.0f} s "
                f"of audio but the audio data ends at {actual:.0f} s"
            )
    if track.tail_error is not None:
        raise ProbeError(
            f"{path}: the file is truncated: the audio breaks off at {actual:.0f} s "
            f"(its last packet cannot be decoded: {track.tail_error})"
        )
    if found.demux_error is not None:
        raise ProbeError(
            f"{path}: the file is damaged or truncated: reading fails after {actual:.0f} s "
            f"of audio ({found.demux_error})"
        )
    return MediaInfo(
        path,
        found.format,
        actual,
        track.codec,
        track.sample_rate,
        track.channels,
        has_video,
        audio_track=track.index,
        audio_tracks=len(found.tracks),
        track_choice=found.reason,
        audio_start=round(max(0.0, start - found.zero), 3),
        downmix=track.describe_mix(),
    )


def _too_long(path: Path, duration: float, max_duration: float) -> str:
    return (
        f"{path}: the recording lasts {duration / 3600:.2f} h, longer than the maximum of "
        f"{max_duration / 3600:.2f} h (set ARCHIVE_MAX_HOURS to change it)"
    )
