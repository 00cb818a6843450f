"""Telephone-band recordings are told from wideband ones, and only their empty band is removed
(ingest/speakers.py `telephone_band`, `band_limited`, used by `diarization_audio`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.signal import lfilter, welch

from ingest.speakers import SAMPLE_RATE, band_limited, decode_mono_16k, diarization_audio, telephone_band

REAL = Path(__file__).parents[1] / "data" / "real"


def noise(seconds: float, seed: int = 3) -> np.ndarray:
    """Noise whose power falls with frequency, as speech's does."""
    white = np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE))
    return np.asarray(lfilter([1.0], [1.0, -0.95], white) * 0.02, dtype=np.float32)


def band_power(audio: np.ndarray, low: float, high: float) -> float:
    freqs, power = welch(audio, fs=SAMPLE_RATE, nperseg=1024)
    return float(power[(freqs >= low) & (freqs < high)].sum())


def test_wideband_sound_is_not_telephone_band_and_filtered_sound_is() -> None:
    wide = noise(5.0)
    assert not telephone_band(wide)
    narrow = band_limited(wide)
    assert telephone_band(narrow)
    assert narrow.dtype == np.float32
    assert len(narrow) == len(wide)
    # What a telephone carries is kept; what it cannot is gone.
    assert band_power(narrow, 100, 3_500) / band_power(wide, 100, 3_500) > 0.98
    assert band_power(narrow, 4_600, 8_000) / band_power(wide, 4_600, 8_000) < 1e-4


def test_silence_and_short_audio_are_not_telephone_band() -> None:
    assert not telephone_band(np.zeros(5 * SAMPLE_RATE, dtype=np.float32))
    assert not telephone_band(band_limited(noise(0.5)))  # too short to judge: left as it is


def test_the_real_phone_call_is_filtered_and_a_meeting_is_left_alone() -> None:
    call = decode_mono_16k(REAL / "sample.opus")
    assert telephone_band(call)
    assert not np.array_equal(diarization_audio(REAL / "sample.opus"), call)
    meeting = REAL / "dev00.opus"  # the wideband clip with the least power above 4 kHz
    assert np.array_equal(diarization_audio(meeting), decode_mono_16k(meeting))
