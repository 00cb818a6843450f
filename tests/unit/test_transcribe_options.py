"""How settings become faster-whisper arguments: devices, precision, language, anti-hallucination."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.transcribe import (
    ModelConfig,
    ModelError,
    TranscribeOptions,
    default_model_path,
    load_model,
    resolve_compute_type,
    whisper_arguments,
)


def test_english_only_model_always_decodes_english() -> None:
    assert whisper_arguments(TranscribeOptions(language="de"), multilingual=False)["language"] == "en"


def test_multilingual_model_honours_the_recording_language() -> None:
    assert whisper_arguments(TranscribeOptions(language="de"), multilingual=True)["language"] == "de"
    assert whisper_arguments(TranscribeOptions(), multilingual=True)["language"] is None  # detect


def test_decoding_guards_against_invented_text() -> None:
    arguments = whisper_arguments(TranscribeOptions(), multilingual=False)
    assert arguments["vad_filter"] is True
    assert arguments["word_timestamps"] is True
    assert arguments["condition_on_previous_text"] is False
    assert arguments["hotwords"] is None


def test_int8_on_cpu_and_float16_on_gpu_by_default() -> None:
    assert resolve_compute_type("default", "cpu") == "int8"
    assert resolve_compute_type("default", "cuda") == "float16"
    assert resolve_compute_type("float32", "cpu") == "float32"


def test_default_model_ships_in_a_package() -> None:
    assert (default_model_path() / "model.bin").is_file()


def test_missing_model_is_a_clear_error_without_network(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="could not be loaded"):
        load_model(ModelConfig(model="no-such-model-anywhere", device="cpu"))


def test_long_audio_is_cut_into_windows_at_quiet_moments() -> None:
    import numpy as np

    from ingest.transcribe import SAMPLE_RATE, plan_windows

    rng = np.random.default_rng(0)
    seconds = 1500
    audio = (rng.standard_normal(seconds * SAMPLE_RATE) * 0.3).astype(np.float32)
    quiet = [590.0, 1212.0]  # one quiet half-second near each 600 s boundary
    for at in quiet:
        audio[int(at * SAMPLE_RATE) : int((at + 0.5) * SAMPLE_RATE)] = 0.0
    windows = plan_windows(audio, window_seconds=600, search_seconds=30)
    assert windows[0][0] == 0
    assert windows[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    cuts = [w[0] / SAMPLE_RATE for w in windows[1:]]
    assert len(cuts) == 2
    for cut, at in zip(cuts, quiet, strict=True):
        assert at <= cut <= at + 0.5
    assert plan_windows(audio[: 100 * SAMPLE_RATE]) == [(0, 100 * SAMPLE_RATE)]
