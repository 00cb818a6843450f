"""Settings come from the environment with documented defaults; bad values fail by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def test_defaults_live_under_the_working_directory(tmp_path: Path) -> None:
    settings = Settings.from_env({}, base_dir=tmp_path)
    assert settings.storage.data_dir == tmp_path / "var"
    assert settings.storage.media_dir == tmp_path / "media"
    assert settings.storage.database_url == f"sqlite:///{tmp_path / 'var' / 'archive.db'}"
    assert settings.search.meili_url is None
    assert (settings.whisper.model, settings.whisper.device, settings.whisper.compute_type) == (
        "default",
        "auto",
        "default",
    )
    assert settings.max_duration_hours == 8.0


def test_every_variable_is_read(tmp_path: Path) -> None:
    (tmp_path / "large-v3").mkdir()
    (tmp_path / "large-v3" / "model.bin").write_bytes(b"")  # WHISPER_MODEL: a folder with a model
    env = {
        "ARCHIVE_DATA_DIR": str(tmp_path / "data"),
        "ARCHIVE_MEDIA_DIR": str(tmp_path / "rec"),
        "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/db",
        "MEILI_URL": "http://127.0.0.1:7700",
        "MEILI_MASTER_KEY": "k" * 32,
        "WHISPER_MODEL": str(tmp_path / "large-v3"),
        "WHISPER_DEVICE": "cpu",
        "WHISPER_COMPUTE_TYPE": "int8",
        "ARCHIVE_MAX_HOURS": "2.5",
    }
    settings = Settings.from_env(env, base_dir=tmp_path)
    assert settings.storage.data_dir == tmp_path / "data"
    assert settings.storage.media_dir == tmp_path / "rec"
    assert settings.storage.database_url == env["DATABASE_URL"]
    assert settings.search.meili_url == env["MEILI_URL"]
    assert settings.search.meili_master_key == env["MEILI_MASTER_KEY"]
    assert settings.whisper.model == str(tmp_path / "large-v3")
    assert settings.max_duration_hours == 2.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WHISPER_DEVICE", "tpu"),
        ("WHISPER_COMPUTE_TYPE", "int3"),
        ("MEILI_URL", "localhost:7700"),
        ("DATABASE_URL", "mysql://x"),
        ("ARCHIVE_MAX_HOURS", "eight"),
        ("ARCHIVE_MAX_HOURS", "-1"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, base_dir=tmp_path)


def test_a_file_where_a_folder_is_expected_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SettingsError, match="ARCHIVE_DATA_DIR"):
        Settings.from_env({"ARCHIVE_DATA_DIR": str(tmp_path / "afile")}, base_dir=tmp_path)
