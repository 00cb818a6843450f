"""Which audio to transcribe in a recording, and how to decode it onto the player's timeline.

Recordings come as meeting tools, phones and browsers export them: a still-image video track
that outlasts the audio, audio that starts late (an edit list, a non-zero start time), several
audio tracks of which one carries the speech, stereo with one dead channel, 5.1, 8 kHz phone
audio. Two decisions follow, and `probe`, `transcribe` and the diarizer all take them from here
so that they agree:

- **Which track.** Every audio track is sampled (`scan`): a few seconds decoded every so often
  through the file (a lone mono track, with nothing to choose or mix, only at its ends). A
  track whose level is more than `TRACK_MARGIN_DB` below the loudest is passed over (a silent
  or idle track); among the rest the default-disposition track wins, else the loudest.
- **How to make it mono without losing level.** Channels more than `CHANNEL_MARGIN_DB` below
  the loudest channel (a dead channel of a stereo pair), and the LFE channel, are left out; the
  rest are averaged and the average is scaled back to the loudest channel's level, so stereo
  with one silent channel is not halved and dual mono is unchanged.

**Timeline.** Times are the container's presentation times, which the player seeks on
(`<video>.currentTime`): sample 0 of `load`'s output is time 0, a track that starts at 2.0 s
starts 2.0 s into the output (silence before it), and a gap in the audio's timestamps becomes
silence. A negative container start (encoder priming) is treated as 0, as Chromium does. So word
times from the transcriber are player times with no further offset.
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import numpy as np

TRACK_MARGIN_DB = 20.0
"""A track this much quieter than the loudest is not a candidate (silent, or only room tone)."""
CHANNEL_MARGIN_DB = 30.0
"""A channel this much quieter than the loudest channel is left out of the mono mix."""
SILENCE_DB = -70.0
"""A track below this level (dBFS, RMS of the sampled audio) holds no usable sound."""
SAMPLE_WINDOW_S = 2.0
SAMPLE_WINDOWS = 120
"""`scan` decodes a `SAMPLE_WINDOW_S` window every 1/`SAMPLE_WINDOWS` of the declared length."""
FIRST_PACKETS = 20
"""Packets decoded from the start of every track, in sequence, to catch an undecodable stream."""
TAIL_PACKETS = 4
"""Packets decoded at the end of every track, to catch a file cut off in its last packet."""
GAP_S = 0.1
"""A jump in the audio's timestamps larger than this is filled with silence, to stay on time."""
_UNKNOWN_LENGTH_S = 1800.0
_NO_DECLARED_LENGTH_FORMATS = frozenset({"aac", "ac3", "eac3", "dts"})
"""Raw bitstreams, whose length FFmpeg estimates from the first frames' bitrate."""


@dataclass(frozen=True)
class Track:
    """One audio track as `scan` found it; times are container times in seconds."""

    index: int
    """The stream's index in the container (video and other streams count too)."""
    number: int
    """1-based position among the audio tracks."""
    codec: str
    sample_rate: int
    channels: int
    channel_names: tuple[str, ...]
    default: bool
    start: float | None
    """Where its first packet is, or None when no packet has a timestamp."""
    end: float
    """Where its packet data ends."""
    declared_end: float | None
    """Where the header says it ends: its own duration, never another track's."""
    packets: int
    decoded: int
    """Packets decoded in the sample."""
    channel_rms: tuple[float, ...]
    mix_weights: tuple[float, ...]
    """Per-channel weights of the mono mix (including the level restoring gain)."""
    error: str | None
    """Why its first packets cannot be decoded, if they cannot."""
    tail_error: str | None
    """Why its last packets cannot be decoded, if they cannot (a cut-off file)."""

    @property
    def length(self) -> float:
        return max(0.0, self.end - (self.start or 0.0))

    @property
    def level_db(self) -> float:
        """The level of its mono mix, dBFS (RMS over the sampled audio)."""
        loudest = max(self.channel_rms, default=0.0)
        return 20 * math.log10(loudest) if loudest > 0 else -math.inf

    @property
    def usable(self) -> bool:
        return self.error is None and self.decoded > 0

    def describe_mix(self) -> str:
        """The downmix in words: "mono", "FL only (FR quiet)", "average of FL, FR"."""
        if self.channels <= 1:
            return "mono"
        pairs = list(zip(self.channel_names, self.mix_weights, strict=True))
        kept = [name for name, weight in pairs if weight > 0]
        quiet = [name for name, weight in pairs if weight == 0 and name != "LFE"]
        mix = f"{kept[0]} only" if len(kept) == 1 else "average of " + ", ".join(kept)
        notes = ([f"{', '.join(quiet)} quiet"] if quiet else []) + (
            ["LFE left out"] if "LFE" in self.channel_names and "LFE" not in kept else []
        )
        return mix + (f" ({'; '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class Scan:
    format: str
    has_video: bool
    zero: float
    """The container time that is player time 0 (a negative start, or 0)."""
    tracks: tuple[Track, ...]
    chosen: int
    """Position in `tracks` of the track to transcribe."""
    reason: str
    """Why that track, in words."""
    demux_error: str | None
    """Why reading the file stopped early, if it did."""

    @property
    def track(self) -> Track:
        return self.tracks[self.chosen]


@dataclass(frozen=True)
class LoadedAudio:
    samples: Any
    """float32 mono at `sample_rate`; index 0 is player time 0."""
    sample_rate: int
    track: Track
    reason: str


def scan(path: Path) -> Scan:
    """Sample every audio track of `path` and choose one; cached per file version.

    Raises `av.error.FFmpegError` when the file cannot be opened (`ingest.probe` reports that).
    """
    stat = path.stat()
    return _scan_file(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _scan_file(path: str, size: int, mtime_ns: int) -> Scan:
    with av.open(path, metadata_errors="ignore") as container:
        return _scan(container, path)


def declared_end(container: Any, stream: Any, path: str | None = None) -> float | None:
    """Where the header says `stream` ends, from the stream's own duration only.

    Matroska gives no stream duration but FFmpeg's muxer writes a DURATION tag per track;
    the container's duration counts only when the track is the file's only stream. An MP3
    without a Xing/Info/VBRI header and raw bitstreams have only a bitrate estimate: none.
    """
    fmt = container.format.name
    if fmt in _NO_DECLARED_LENGTH_FORMATS:
        return None
    if fmt == "mp3" and path is not None and not _has_vbr_header(path):
        return None
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    if stream.duration is not None and stream.duration > 0 and stream.time_base is not None:
        return start + float(stream.duration * stream.time_base)
    tag = _parse_clock(stream.metadata.get("DURATION") or stream.metadata.get("duration") or "")
    if tag is not None:
        return tag  # FFmpeg writes the track's end time here; as a length it is no later
    if len(container.streams) == 1 and container.duration:
        base = container.start_time / av.time_base if container.start_time else 0.0
        return float(base + container.duration / av.time_base)
    return None


def _parse_clock(text: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*", text)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _has_vbr_header(path: str) -> bool:
    """Whether an MP3 has a Xing/Info/VBRI frame giving its exact length."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    offset = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
        offset = 10 + size
        if offset + 4096 > len(head):
            with open(path, "rb") as handle:
                handle.seek(offset)
                head, offset = handle.read(8192), 0
    sync = next(
        (i for i in range(offset, len(head) - 1) if head[i] == 0xFF and head[i + 1] & 0xE0 == 0xE0), None
    )
    if sync is None:
        return False
    first_frame = head[sync : sync + 200]
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


class _TrackSampler:
    """Collects one track's packet extent and the statistics of its sampled audio."""

    def __init__(self, container: Any, stream: Any, number: int, period: float | None, path: str) -> None:
        self.stream = stream
        self.number = number
        self.period = period
        self.declared_end = declared_end(container, stream, path)
        self.first: float | None = None
        self.end = 0.0
        self.packets = 0
        self.decoded = 0
        self.error: str | None = None
        self.tail: deque[Any] = deque(maxlen=TAIL_PACKETS)
        self.cov: Any = None
        self.samples = 0
        self.names: tuple[str, ...] = tuple(c.name for c in stream.codec_context.layout.channels)
        self.tick = float(stream.time_base) if stream.time_base else 0.0  # its packets' time base

    def add(self, packet: Any) -> None:
        self.packets += 1
        time = None
        if packet.pts is not None and self.tick:
            time = packet.pts * self.tick
            self.first = time if self.first is None else min(self.first, time)
            self.end = max(self.end, (packet.pts + (packet.duration or 0)) * self.tick)
        if not packet.size:
            return
        self.tail.append(packet)
        in_window = (
            self.period is not None
            and time is not None
            and (time - (self.first or 0.0)) % self.period < SAMPLE_WINDOW_S
        )
        if self.packets <= FIRST_PACKETS or in_window:
            self._decode(packet, first_run=self.packets <= FIRST_PACKETS)

    def _decode(self, packet: Any, first_run: bool) -> None:
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            if first_run and self.error is None:
                self.error = exc.strerror
            return  # later, a decoder that jumped between windows may complain: not a fault
        self.decoded += 1
        for frame in frames:
            x = frame_channels(frame).astype(np.float64)
            if self.cov is None or self.cov.shape[0] != x.shape[0]:
                self.cov, self.samples = np.zeros((x.shape[0], x.shape[0])), 0
                self.names = tuple(c.name for c in frame.layout.channels)
            self.cov += x @ x.T
            self.samples += x.shape[1]

    def finish(self) -> Track:
        tail_error = self._decode_tail()
        ctx = self.stream.codec_context
        if self.cov is None or self.samples == 0:
            rms: tuple[float, ...] = (0.0,) * max(1, len(self.names))
            weights = tuple(1.0 / len(rms) for _ in rms)
        else:
            power = self.cov / self.samples
            rms = tuple(float(math.sqrt(max(p, 0.0))) for p in np.diag(power))
            weights = mix_weights(power, self.names)
        names = self.names
        if len(names) != len(rms) or len(set(names)) != len(names):  # an unspecified order: "NONE"
            names = tuple(f"channel {i}" for i in range(1, len(rms) + 1))
        return Track(
            index=self.stream.index,
            number=self.number,
            codec=ctx.name,
            sample_rate=ctx.sample_rate or 0,
            channels=ctx.channels or len(rms),
            channel_names=names,
            default=bool(int(self.stream.disposition) & int(av.stream.Disposition.default)),
            start=self.first,
            end=self.end,
            declared_end=self.declared_end,
            packets=self.packets,
            decoded=self.decoded,
            channel_rms=rms,
            mix_weights=weights,
            error=self.error,
            tail_error=tail_error,
        )

    def _decode_tail(self) -> str | None:
        """Decode the last packets in sequence; an error in the last two means a cut-off file."""
        if self.error is not None or not self.tail:
            return None
        ctx = self.stream.codec_context
        ctx.flush_buffers()
        packets = list(self.tail)
        failure = None
        for position, packet in enumerate(packets):
            try:
                packet.decode()
            except av.error.FFmpegError as exc:
                if position >= len(packets) - 2:
                    failure = exc.strerror
        with contextlib.suppress(av.error.FFmpegError):
            ctx.decode(None)
        return failure


def _scan(container: Any, path: str) -> Scan:
    streams = list(container.streams.audio)
    duration = container.duration / av.time_base if container.duration else _UNKNOWN_LENGTH_S
    # A lone mono track needs no sampling (nothing to choose, nothing to mix): first and last
    # packets only, as cheap as before. Otherwise windows spread through the file.
    lone_mono = len(streams) == 1 and streams[0].codec_context.channels == 1
    period = None if lone_mono else max(SAMPLE_WINDOW_S, duration / SAMPLE_WINDOWS)
    samplers = {s.index: _TrackSampler(container, s, n, period, path) for n, s in enumerate(streams, 1)}
    start = container.start_time / av.time_base if container.start_time is not None else 0.0
    demux_error = None
    if streams:
        try:
            for packet in container.demux(*streams):
                samplers[packet.stream.index].add(packet)
        except av.error.FFmpegError as exc:
            demux_error = exc.strerror
    tracks = tuple(s.finish() for s in samplers.values())
    chosen, reason = choose_track(tracks)
    return Scan(
        format=container.format.name,
        has_video=bool(container.streams.video),
        zero=min(0.0, start),
        tracks=tracks,
        chosen=chosen,
        reason=reason,
        demux_error=demux_error,
    )


def choose_track(tracks: tuple[Track, ...]) -> tuple[int, str]:
    """The position of the track to transcribe, and why, in words."""
    if not tracks:
        return 0, "no audio track"
    if len(tracks) == 1:
        return 0, "the only audio track"
    usable = [t for t in tracks if t.usable] or list(tracks)
    loudest = max(t.level_db for t in usable)
    if loudest < SILENCE_DB:
        candidates = usable
    else:
        candidates = [t for t in usable if t.level_db >= loudest - TRACK_MARGIN_DB]
    defaults = [t for t in candidates if t.default]
    pick = defaults[0] if defaults else max(candidates, key=lambda t: (t.level_db, -t.number))
    passed = [t for t in tracks if t not in candidates]
    why = "the default track" if defaults else "the loudest track"
    if passed:
        why += "; passed over: " + ", ".join(f"{t.number} ({_quiet(t, loudest)})" for t in passed)
    return tracks.index(pick), f"audio track {pick.number} of {len(tracks)}: {why}"


def _quiet(track: Track, loudest: float) -> str:
    if not track.usable:
        return f"undecodable: {track.error}" if track.error else "no sound data"
    if track.level_db < SILENCE_DB:
        return "silent"
    return f"{loudest - track.level_db:.0f} dB quieter"


def mix_weights(power: Any, names: tuple[str, ...]) -> tuple[float, ...]:
    """Per-channel weights of a level-preserving mono mix, from the channels' covariance.

    `power[i, j]` is the mean of channel i times channel j. Channels within
    `CHANNEL_MARGIN_DB` of the loudest (LFE excepted) are averaged, then the average is scaled
    so its RMS matches the loudest channel's, by at most the number of channels averaged (a
    plain sum): one channel's speech keeps its level whatever the others hold.
    """
    power = np.asarray(power, dtype=np.float64)
    count = power.shape[0]
    if count == 1:
        return (1.0,)
    rms = np.sqrt(np.clip(np.diag(power), 0.0, None))
    lfe = np.array([(names[i] if i < len(names) else "") == "LFE" for i in range(count)])
    eligible = ~lfe if (~lfe).any() else np.ones(count, dtype=bool)
    loudest = float(rms[eligible].max())
    if loudest <= 0:
        return tuple(float(w) for w in np.where(eligible, 1.0 / eligible.sum(), 0.0))
    keep = eligible & (rms >= loudest * 10 ** (-CHANNEL_MARGIN_DB / 20))
    weights = np.where(keep, 1.0 / keep.sum(), 0.0)
    mixed = float(np.sqrt(max(weights @ power @ weights, 0.0)))
    gain = min(max(loudest / mixed, 1.0), float(keep.sum())) if mixed > 0 else 1.0
    return tuple(float(w) for w in weights * gain)


def frame_channels(frame: Any) -> Any:
    """A decoded audio frame as float32, shape (channels, samples), in [-1, 1]."""
    array = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not frame.format.is_planar:
        array = array.reshape(-1, channels).T
    kind = frame.format.name.rstrip("p")
    if kind in ("flt", "dbl"):
        return array.astype(np.float32, copy=False)
    if kind == "u8":
        return (array.astype(np.float32) - 128.0) / 128.0
    bits = {"s16": 15, "s32": 31, "s64": 63}[kind]
    return (array.astype(np.float64) / float(2**bits)).astype(np.float32)


_DecodedKey = tuple[str, int, int, int]  # resolved path, size, mtime (ns), sample rate
_decoded: ContextVar[dict[_DecodedKey, LoadedAudio] | None] = ContextVar("decoded", default=None)


@contextlib.contextmanager
def decoding_once() -> Iterator[None]:
    """Within this block (in this thread), `load` decodes each file version once and hands the
    same samples to every later caller.

    The ingest pipeline wraps its stages in it: transcription and the diarizer both hear the
    file through `load`, and decoding the demo's 277 s again cost the diarizer ~1.5 s. The
    samples are shared, not copied: callers must not write into them. They are dropped when the
    block ends, so a worker keeps no recording's audio between jobs.
    """
    token = _decoded.set({})
    try:
        yield
    finally:
        _decoded.reset(token)


def load(path: Path, sample_rate: int = 16_000) -> LoadedAudio:
    """Decode the chosen track of `path` to mono float32 at `sample_rate` on the player timeline.

    Packets that cannot be decoded are skipped (as faster-whisper's own loader does), so one
    damaged packet mid-file costs its own few milliseconds, not the recording. Frames are
    grouped in an `AudioFifo` and mixed and resampled a group at a time, as faster-whisper does;
    for a mono track the output is the same, sample for sample, as `faster_whisper.decode_audio`.
    Inside `decoding_once` a file version already decoded at this rate is not decoded again.
    """
    held = _decoded.get()
    if held is None:
        return _decode(path, sample_rate)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, sample_rate)
    if key not in held:
        held[key] = _decode(path, sample_rate)
    return held[key]


def _decode(path: Path, sample_rate: int) -> LoadedAudio:
    found = scan(path)
    track = found.track
    out = _Mixer(track.mix_weights, sample_rate)
    position = 0.0  # player seconds decoded so far
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams[track.index]
        tick = float(stream.time_base) if stream.time_base is not None else 0.0  # decoded frames' too
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            for frame in frames:
                if not isinstance(frame, av.AudioFrame):
                    continue
                rate = frame.sample_rate
                if frame.pts is not None and tick:
                    gap = frame.pts * tick - found.zero - position
                    if gap > GAP_S:
                        silence = round(gap * rate)
                        out.silence(silence, rate)
                        position += silence / rate
                out.write(frame)
                position += frame.samples / rate
    return LoadedAudio(out.finish(), sample_rate, track, found.reason)


class _Mixer:
    """Groups decoded frames (~0.5 M samples, as faster-whisper), mixes each group to mono and
    resamples it with FFmpeg's resampler to `sample_rate`, s16 like faster-whisper."""

    GROUP = 500_000

    def __init__(self, weights: tuple[float, ...], sample_rate: int) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)
        self.sample_rate = sample_rate
        self.fifo: Any = None
        self.resampler: Any = None
        self.rate = 0
        self.chunks: list[Any] = []

    def write(self, frame: Any) -> None:
        frame.pts = None  # the fifo would check timestamps; `load` placed the frame already
        if self.fifo is not None:
            try:
                self.fifo.write(frame)
            except ValueError:  # the format, layout or rate changed mid-stream
                self._drain()
                self.fifo = None
        if self.fifo is None:
            self.fifo = av.AudioFifo()
            self.fifo.write(frame)
        if self.fifo.samples >= self.GROUP:
            self._drain()

    def silence(self, samples: int, rate: int) -> None:
        self._drain()
        self._resample(np.zeros(samples, dtype=np.float32), rate)

    def _drain(self) -> None:
        if self.fifo is None or not self.fifo.samples:
            return
        group = self.fifo.read()
        x = frame_channels(group)
        if x.shape[0] == len(self.weights):
            used = [(channel, float(w)) for channel, w in enumerate(self.weights) if w]
            mono = x[used[0][0]] if len(used) == 1 and used[0][1] == 1 else sum(w * x[c] for c, w in used)
        else:  # the layout changed mid-stream: a plain average
            mono = x.mean(axis=0)
        self._resample(np.ascontiguousarray(mono, dtype=np.float32), group.sample_rate)

    def _resample(self, mono: Any, rate: int) -> None:
        if rate != self.rate:
            self._flush()
            self.rate = rate
        if not len(mono):
            return
        if self.resampler is None:
            self.resampler = av.AudioResampler(format="s16", layout="mono", rate=self.sample_rate)
        frame = av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        self.chunks.extend(f.to_ndarray()[0] for f in self.resampler.resample(frame))

    def _flush(self) -> None:
        if self.resampler is not None:
            self.chunks.extend(f.to_ndarray()[0] for f in self.resampler.resample(None))
            self.resampler = None
            gc.collect()  # PyAV's resampler holds memory until collected (faster-whisper #390)

    def finish(self) -> Any:
        self._drain()
        self._flush()
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self.chunks).astype(np.float32) / 32768.0
