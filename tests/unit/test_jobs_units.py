"""Pieces of the processing jobs that need no worker, model or database: the settings, the
command line, and the streaming multipart reader of POST /api/webinars."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ingest.errors import InputError
from server.cli import build_parser
from server.jobs.intake import FieldError, check_agenda, read_manifest
from server.jobs.upload import ParsedUpload, UploadTooLarge, receive_upload
from server.settings import Settings, SettingsError

BOUNDARY = "----archive-test-boundary"


def _settings(**env: str) -> Settings:
    return Settings.from_env(env, base_dir=Path("/tmp/archive-test"))


def test_job_settings_defaults_and_overrides() -> None:
    jobs = _settings().jobs
    assert (jobs.queue_url, jobs.queue_name, jobs.lease_seconds) == (None, "webinar-archive", 60.0)
    assert jobs.max_upload_bytes == 8192 * 1024**2
    assert _settings().search.index_uid == "segments"
    custom = _settings(
        QUEUE_URL="redis://127.0.0.1:6379/2",
        QUEUE_NAME="archive-b",
        JOB_LEASE_SECONDS="5",
        ARCHIVE_MAX_UPLOAD_MB="0.5",
        MEILI_INDEX="segments_b",
    )
    assert custom.jobs.queue_url == "redis://127.0.0.1:6379/2"
    assert custom.jobs.queue_name == "archive-b"
    assert custom.jobs.lease_seconds == 5.0
    assert custom.jobs.max_upload_bytes == 512 * 1024
    assert custom.search.index_uid == "segments_b"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUEUE_URL", "amqp://rabbit"),
        ("QUEUE_NAME", "has space"),
        ("JOB_LEASE_SECONDS", "1"),
        ("JOB_LEASE_SECONDS", "soon"),
        ("ARCHIVE_MAX_UPLOAD_MB", "-3"),
        ("MEILI_INDEX", "a/b"),
    ],
)
def test_bad_job_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        _settings(**{name: value})


def test_worker_and_serve_options() -> None:
    parser = build_parser()
    assert parser.parse_args(["worker"]).concurrency == 1
    assert parser.parse_args(["worker", "--concurrency", "3"]).concurrency == 3
    assert parser.parse_args(["serve"]).worker is True
    assert parser.parse_args(["serve", "--no-worker"]).worker is False
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "--concurrency", "0"])


def test_manifest_and_agenda_checks_name_the_field() -> None:
    manifest = read_manifest("title: A talk\nspeakers:\n  - name: Ana Ribeiro\n")
    assert manifest.title == "A talk"
    assert check_agenda(manifest, "00:00:05 - Welcome by Ana Ribeiro\n") is not None
    for text, reason in [
        (None, "missing"),
        ("date: 2024-13-40\ntitle: x\n", "month must be"),
        ("description: no title\n", "title is required"),
        ("[1, 2]", "mapping"),
    ]:
        with pytest.raises(FieldError, match=reason) as caught:
            read_manifest(text)
        assert caught.value.field == "manifest"
    with pytest.raises(FieldError) as caught:
        check_agenda(manifest, "00:00:05 - Welcome\n00:61:00 - Questions\n")
    assert caught.value.field == "agenda"


def _body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _receive(data: bytes, target: Path, chunk: int = 7, limit: int = 10**6) -> ParsedUpload:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    return asyncio.run(receive_upload(_chunks(data, chunk), content_type, target, limit))


def test_streamed_parts_land_on_disk_and_in_memory(tmp_path: Path) -> None:
    recording = bytes(range(256)) * 300
    body = _body(
        [
            ("manifest", None, b"title: T\n"),
            ("media", "talk.OPUS", recording),
            ("agenda", None, "00:05 – Hej".encode()),
        ]
    )
    target = tmp_path / ".upload.part"
    parsed = _receive(body, target)  # 7-byte chunks: boundaries split across chunks
    assert target.read_bytes() == recording
    assert parsed.filename == "talk.OPUS"
    assert parsed.size == len(recording)
    assert parsed.sha256 == hashlib.sha256(recording).hexdigest()
    assert parsed.texts == {"manifest": "title: T\n", "agenda": "00:05 – Hej"}


def test_streamed_refusals_delete_the_partial_file(tmp_path: Path) -> None:
    target = tmp_path / ".upload.part"
    big = _body([("media", "a.opus", b"x" * 5000)])
    with pytest.raises(UploadTooLarge):
        _receive(big, target, chunk=1000, limit=3000)
    assert not target.exists()
    two = _body([("media", "a.opus", b"a"), ("media", "b.opus", b"b")])
    with pytest.raises(FieldError, match="one recording"):
        _receive(two, target)
    assert not target.exists()
    cut = _body([("media", "a.opus", b"x" * 100)])[:-30]
    with pytest.raises(FieldError, match="cannot be read"):
        _receive(cut, target)
    assert not target.exists()
    with pytest.raises(FieldError, match="multipart/form-data"):
        asyncio.run(receive_upload(_chunks(b"{}", 2), "application/json", target, 100))


def test_a_job_runs_the_ingest_with_the_options_staff_chose() -> None:
    """A re-processing may name a model and ask for segment languages (POST .../reprocess); the
    worker runs the pipeline with them, and with the archive's glossary."""
    from server.catalog.models import ProcessingJob
    from server.jobs.runner import pipeline_options

    settings = _settings(WHISPER_MODEL="tiny.en")
    plain = pipeline_options(settings, ProcessingJob(kind="upload", options={}), ("AGROCIRC",))
    assert (plain.model.model, plain.segment_languages, plain.extra_vocabulary) == (
        "tiny.en",
        False,
        ("AGROCIRC",),
    )
    asked = pipeline_options(
        settings, ProcessingJob(kind="reprocess", options={"model": "base", "segment_languages": True}), ()
    )
    assert (asked.model.model, asked.segment_languages) == ("base", True)
    with pytest.raises(InputError, match="nonesuch"):
        pipeline_options(settings, ProcessingJob(kind="reprocess", options={"model": "nonesuch"}), ())


def test_ingest_takes_segment_languages_on_request() -> None:
    assert build_parser().parse_args(["ingest", "talk.opus"]).segment_languages is False
    assert build_parser().parse_args(["ingest", "talk.opus", "--segment-languages"]).segment_languages is True
