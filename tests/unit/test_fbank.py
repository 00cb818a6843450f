"""ingest/fbank.py: numpy Kaldi filterbank features standing in for senko's AVX-512 library.

torchaudio is not installed, so the reference is `kaldi_reference` below: a plain, frame by
frame, float64 transcription of Kaldi's definitions, written independently of the vectorised
module. Synthetic signals check what the features must show (a tone's mel bin, zero means,
frame counts).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from ingest.fbank import (
    NUM_MEL_BINS,
    SAMPLE_RATE,
    log_mel_frames,
    mel_filterbank,
    segment_frames,
    subsegment_fbank,
    subsegment_samples,
)


def noise(seconds: float, seed: int = 0) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(round(seconds * SAMPLE_RATE))).astype(np.float32)


def tone(freq: float, seconds: float) -> NDArray[np.float32]:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def split(
    flat: NDArray[np.float32], counts: NDArray[np.int64], offsets: NDArray[np.int64]
) -> list[NDArray[np.float32]]:
    return [
        flat[o : o + c * NUM_MEL_BINS].reshape(c, NUM_MEL_BINS) for c, o in zip(counts, offsets, strict=True)
    ]


def mel(f: float) -> float:
    return 1127.0 * math.log(1.0 + f / 700.0)


def kaldi_reference(wave: NDArray[np.float32]) -> NDArray[np.float64]:
    """Kaldi fbank (senko's options), frame by frame in float64, without mean normalisation."""
    x = [float(v) for v in wave] + [0.0] * max(0, 400 - len(wave))
    low, high = mel(20.0), mel(8000.0)
    delta = (high - low) / 81
    window = [(0.5 - 0.5 * math.cos(2 * math.pi * i / 399)) ** 0.85 for i in range(400)]
    rows = []
    for start in range(0, len(x) - 400 + 1, 160):
        frame = x[start : start + 400]
        mean = sum(frame) / 400
        frame = [v - mean for v in frame]
        frame = [frame[0] - 0.97 * frame[0]] + [frame[i] - 0.97 * frame[i - 1] for i in range(1, 400)]
        frame = [v * w for v, w in zip(frame, window, strict=True)]
        spectrum = np.fft.fft(np.array(frame + [0.0] * 112))
        power = [abs(spectrum[k]) ** 2 for k in range(256)]
        energies = []
        for m in range(80):
            left, centre, right = low + m * delta, low + (m + 1) * delta, low + (m + 2) * delta
            total = 0.0
            for k in range(256):
                f = mel(k * SAMPLE_RATE / 512)
                if left < f < right:
                    weight = (f - left) / (centre - left) if f <= centre else (right - f) / (right - centre)
                    total += weight * power[k]
            energies.append(math.log(max(total, float(np.finfo(np.float32).eps))))
        rows.append(energies)
    return np.array(rows)


def test_features_match_a_frame_by_frame_kaldi_reference() -> None:
    audio = noise(0.5) + tone(440.0, 0.5)
    reference = kaldi_reference(audio[1234 : 1234 + 2000])
    flat, counts, offsets, dim = subsegment_fbank(audio, [(1234 / SAMPLE_RATE, 3234 / SAMPLE_RATE)])
    assert dim == NUM_MEL_BINS
    assert counts.tolist() == [len(reference)] == [11]
    (features,) = split(flat, counts, offsets)
    np.testing.assert_allclose(features, reference - reference.mean(axis=0), atol=2e-4)


def test_log_mel_frames_match_the_reference_before_normalisation() -> None:
    audio = noise(0.1, seed=3)
    reference = kaldi_reference(audio[:400])
    np.testing.assert_allclose(log_mel_frames(audio[None, :400]), reference, rtol=1e-5, atol=1e-4)


def test_the_filterbank_follows_kaldi() -> None:
    bank = mel_filterbank()
    assert bank.shape == (256, 80)
    assert bank.dtype == np.float32
    assert (bank >= 0).all()
    assert (bank <= 1).all()
    assert (bank.sum(axis=0) > 0).all(), "every filter covers at least one FFT bin"
    assert not bank[0].any(), "0 Hz lies below the 20 Hz lowest edge"
    # Bins between two filter centres belong to exactly those two, whose weights sum to one.
    middle = bank[40:240]
    assert ((middle > 0).sum(axis=1) == 2).all()
    np.testing.assert_allclose(middle.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("freq", [250.0, 1000.0, 3000.0, 6500.0])
def test_a_pure_tone_peaks_in_the_mel_bin_centred_nearest_it(freq: float) -> None:
    low, high = mel(20.0), mel(8000.0)
    centres = [low + (m + 1) * (high - low) / 81 for m in range(80)]
    nearest = min(range(80), key=lambda m: abs(centres[m] - mel(freq)))
    frames = tone(freq, 0.1)[:400][None, :]
    energies = log_mel_frames(frames)[0]
    assert abs(int(np.argmax(energies)) - nearest) <= 1
    assert energies.max() - np.median(energies) > 10, "a tone stands far above the rest"


def test_each_subsegment_has_zero_mean_per_mel_bin() -> None:
    audio = noise(4.0) + tone(800.0, 4.0)
    subsegments = [(0.0, 1.5), (0.6, 2.1), (1.2, 2.7), (2.5, 3.1), (3.9, 4.0)]
    flat, counts, offsets, _ = subsegment_fbank(audio, subsegments)
    for features in split(flat, counts, offsets):
        assert features.shape[0] >= 1
        np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-5)
        if features.shape[0] > 1:
            assert features.std() > 0.1, "noise leaves real variation after normalisation"


@pytest.mark.parametrize(
    ("samples", "frames"),
    [(400, 1), (559, 1), (560, 2), (719, 2), (720, 3), (16_000, 98), (24_000, 148)],
)
def test_frame_counts_follow_snip_edges(samples: int, frames: int) -> None:
    audio = noise(2.0)
    flat, counts, offsets, _ = subsegment_fbank(audio, [(0.0, samples / SAMPLE_RATE)])
    assert counts.tolist() == [frames]
    assert offsets.tolist() == [0]
    assert flat.shape == (frames * NUM_MEL_BINS,)
    assert flat.dtype == np.float32


def test_a_segment_shorter_than_a_frame_is_padded_to_one_frame() -> None:
    audio = noise(1.0)
    subsegments = [(0.5, 0.5 + 300 / SAMPLE_RATE), (1.0 - 300 / SAMPLE_RATE, 1.0), (0.2, 0.2)]
    _, lengths = subsegment_samples(subsegments, len(audio))
    assert lengths.tolist() == [300, 300, 1]
    flat, counts, offsets, _ = subsegment_fbank(audio, subsegments)
    assert counts.tolist() == [1, 1, 1]
    assert offsets.tolist() == [0, 80, 160]
    # One frame minus its own mean is zero, as from senko's native extractor.
    assert np.isfinite(flat).all()
    assert not flat.any()


def test_frames_are_cut_every_shift_and_a_short_segment_is_zero_padded() -> None:
    audio = noise(1.0)
    assert segment_frames(audio[:300], np.array([0]), np.array([300])).shape == (1, 400)
    starts = np.array([1000, 8000, 15_900], dtype=np.int64)
    lengths = np.array([720, 300, 100], dtype=np.int64)  # the last one runs to the end
    frames = segment_frames(audio, starts, lengths)
    assert frames.shape == (3 + 1 + 1, 400)
    for j in range(3):
        np.testing.assert_array_equal(frames[j], audio[1000 + 160 * j : 1400 + 160 * j])
    np.testing.assert_array_equal(frames[3, :300], audio[8000:8300])
    assert not frames[3, 300:].any()
    np.testing.assert_array_equal(frames[4, :100], audio[15_900:])
    assert not frames[4, 100:].any()
    padded = np.zeros(400, dtype=np.float32)
    padded[:300] = audio[8000:8300]
    np.testing.assert_allclose(log_mel_frames(frames[3:4])[0], kaldi_reference(padded)[0], atol=1e-4)


def test_subsegments_are_cut_short_at_the_end_of_the_audio() -> None:
    audio = noise(2.0)
    starts, lengths = subsegment_samples([(1.5, 3.0), (2.5, 4.0)], len(audio))
    assert starts.tolist() == [24_000, 32_000]
    assert lengths.tolist() == [8_000, 0]
    flat, counts, offsets, _ = subsegment_fbank(audio, [(1.5, 3.0), (2.5, 4.0)])
    assert counts.tolist() == [48, 1]
    assert offsets.tolist() == [0, 48 * 80]
    whole, _, _, _ = subsegment_fbank(audio, [(1.5, 2.0)])
    np.testing.assert_array_equal(flat[: 48 * 80], whole)


def test_sample_offset_reads_a_suffix_of_the_recording() -> None:
    audio = noise(6.0)
    offset = 40_123
    subsegments = [(3.0, 4.5), (3.6, 5.1), (4.9, 6.0)]
    full = subsegment_fbank(audio, subsegments)
    suffix = subsegment_fbank(audio[offset:], subsegments, sample_offset=offset)
    for a, b in zip(full[:3], suffix[:3], strict=True):
        np.testing.assert_array_equal(a, b)


def test_batching_gives_identical_output_to_one_batch() -> None:
    audio = noise(20.0, seed=7) + tone(300.0, 20.0)
    starts = np.arange(0.0, 18.5, 0.6)
    subsegments = [(float(s), float(s) + 1.5) for s in starts] + [(19.99, 20.0), (18.7, 20.3)]
    one = subsegment_fbank(audio, subsegments, batch_frames=10**9)
    for batch_frames in (1, 100, 148, 1000, 4096):
        batched = subsegment_fbank(audio, subsegments, batch_frames=batch_frames)
        for a, b in zip(one[:3], batched[:3], strict=True):
            np.testing.assert_array_equal(a, b)


def test_no_subsegments_give_empty_features() -> None:
    flat, counts, offsets, dim = subsegment_fbank(noise(1.0), [])
    assert flat.shape == (0,)
    assert counts.shape == offsets.shape == (0,)
    assert dim == NUM_MEL_BINS


def test_batch_frames_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_frames"):
        subsegment_fbank(noise(1.0), [(0.0, 1.0)], batch_frames=0)
