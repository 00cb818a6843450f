"""The pieces of server/accounts on their own: session cookies, passwords, tokens, the secret
file, `next` targets, Bearer headers, and the `user` commands through the CLI's main()."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from server import cli
from server.accounts import passwords
from server.accounts.auth import bearer_token
from server.accounts.secret import SecretKeyError, derive, read_or_create_secret
from server.accounts.sessions import SessionCodec
from server.accounts.tokens import new_token, token_hash
from server.settings import Settings, SettingsError
from server.web.staff import safe_next

KEY = derive(b"s" * 40, "session")


def test_session_cookie_round_trip_and_tampering() -> None:
    codec = SessionCodec(KEY, secure=True)
    value = codec.encode(7, "$argon2id$hash", now=1_000_000)
    data = codec.decode(value, now=1_000_100)
    assert data is not None
    assert (data.user_id, data.issued_at) == (7, 1_000_000)
    body, _, signature = value.partition(".")
    assert codec.decode(f"{body}x.{signature}", now=1_000_100) is None  # changed payload
    assert codec.decode(value[:-2] + "AA", now=1_000_100) is None  # changed signature
    assert SessionCodec(derive(b"t" * 40, "session"), secure=True).decode(value, now=1_000_100) is None
    assert codec.decode(value, now=1_000_000 + codec.max_age + 1) is None  # expired
    assert codec.decode("garbage", now=1_000_100) is None
    assert codec.decode("", now=1_000_100) is None


def test_session_cookie_attributes() -> None:
    cookie = SessionCodec(KEY, secure=True).cookie("v").to_header()
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in SessionCodec(KEY, secure=False).cookie("v").to_header()


def test_keys_differ_by_purpose() -> None:
    assert derive(b"s" * 40, "session") != derive(b"s" * 40, "csrf")


def test_passwords_hash_verify_and_rehash() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery") == (True, None)
    assert passwords.verify(stored, "wrong horse battery") == (False, None)
    assert passwords.verify("not a hash", "x") == (False, None)
    # A hash made with weaker parameters is replaced at the next successful sign-in.
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")
    ok, new_hash = passwords.verify(old, "correct horse battery")
    assert ok
    assert new_hash is not None
    assert new_hash != old
    assert passwords.verify(new_hash, "correct horse battery") == (True, None)
    with pytest.raises(ValueError, match="12 characters"):
        passwords.hash_password("short")


def test_tokens_are_random_and_stored_as_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert first.startswith("wa_")
    assert len(token_hash(first)) == 64
    assert token_hash(first) == token_hash(first)


def test_secret_file_is_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    first = read_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(path) == first  # persists across restarts
    path.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        read_or_create_secret(path)
    path.chmod(0o600)
    path.write_text("short\n")
    with pytest.raises(SecretKeyError, match="32 characters"):
        read_or_create_secret(path)


def test_access_settings() -> None:
    assert Settings.from_env({}).access.secure_cookies
    assert not Settings.from_env({"ARCHIVE_ENV": "development"}).access.secure_cookies
    with pytest.raises(SettingsError, match="ARCHIVE_ENV"):
        Settings.from_env({"ARCHIVE_ENV": "staging"})
    with pytest.raises(SettingsError, match="ARCHIVE_SECRET_KEY"):
        Settings.from_env({"ARCHIVE_SECRET_KEY": "too short"})
    settings = Settings.from_env({"ARCHIVE_SECRET_KEY": "k" * 32})
    assert "k" * 32 not in repr(settings)  # never printed into logs


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/staff/jobs?page=2", "/staff/jobs?page=2"),
        ("/", "/"),
        (None, "/staff"),
        ("", "/staff"),
        ("//evil.example/", "/staff"),
        ("https://evil.example/", "/staff"),
        ("/\\evil.example", "/staff"),
        ("staff", "/staff"),
    ],
)
def test_sign_in_returns_only_to_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Basic abc", None),
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Bearer", ""),
    ],
)
def test_bearer_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


# --- `webinar-archive user ...` -----------------------------------------------------------


@pytest.fixture
def archive_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "ARCHIVE_SECRET_KEY", "ARCHIVE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ARCHIVE_MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_user_commands(
    archive_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        monkeypatch, capsys, "user", "create", "Ada@Example.org", "--role", "admin", stdin="a long password\n"
    )
    assert status == 0
    assert "created admin account ada@example.org" in out
    status, _, err = run(monkeypatch, capsys, "user", "create", "ada@example.org", stdin="a long password\n")
    assert status == 4  # ConflictError
    assert err.strip() == "webinar-archive: error: an account for 'ada@example.org' already exists"
    status, _, err = run(monkeypatch, capsys, "user", "create", "bob@example.org", stdin="short\n")
    assert status == 2
    assert "12 characters" in err
    status, _, err = run(monkeypatch, capsys, "user", "create", "not-an-email", stdin="a long password\n")
    assert status == 2
    assert "not an email address" in err
    status, _, err = run(monkeypatch, capsys, "user", "create", "bob@example.org", stdin="")
    assert status == 2
    assert "standard input" in err

    status, out, _ = run(monkeypatch, capsys, "user", "token", "ada@example.org", "--label", "ci")
    assert status == 0
    token = out.splitlines()[-1]
    assert token.startswith("wa_")
    assert token not in (archive_env / "var" / "archive.db").read_bytes().decode("latin-1")  # hash only

    status, out, _ = run(monkeypatch, capsys, "user", "list")
    assert status == 0
    header, row = out.splitlines()
    assert header.split()[:4] == ["EMAIL", "ROLE", "STATE", "CREATED"]
    assert row.split()[:3] == ["ada@example.org", "admin", "active"]
    assert row.split()[-1] == "1"  # one live token

    status, out, _ = run(monkeypatch, capsys, "user", "revoke-tokens", "ada@example.org")
    assert (status, out.strip()) == (0, "revoked 1 token of ada@example.org")
    assert run(monkeypatch, capsys, "user", "disable", "ada@example.org")[0] == 0
    assert run(monkeypatch, capsys, "user", "list")[1].splitlines()[1].split()[2] == "disabled"
    status, _, err = run(monkeypatch, capsys, "user", "token", "ada@example.org")
    assert status == 2
    assert "disabled" in err
    assert run(monkeypatch, capsys, "user", "enable", "ada@example.org")[0] == 0
    status, _, err = run(monkeypatch, capsys, "user", "disable", "nobody@example.org")
    assert status == 3  # NotFoundError
    assert "no account" in err
    status, out, _ = run(
        monkeypatch, capsys, "user", "password", "ada@example.org", stdin="another long password\n"
    )
    assert status == 0
    assert "sessions have ended" in out


def test_password_prompted_twice_on_a_terminal(
    archive_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["a long password", "a different one"])
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["user", "create", "cy@example.org"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    answers = iter(["a long password", "a long password"])
    assert cli.main(["user", "create", "cy@example.org"]) == 0
    assert os.environ["ARCHIVE_DATA_DIR"].endswith("var")


def test_multipart_token_found_across_chunks_and_body_replayed() -> None:
    import asyncio

    from server.accounts.csrf import token_from_multipart

    body = (
        b'--b\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\nabc123\r\n'
        b'--b\r\nContent-Disposition: form-data; name="media"; filename="x.opus"\r\n\r\n'
        + b"x" * 1000
        + b"\r\n--b--\r\n"
    )
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]

    async def scenario() -> tuple[str | None, bytes]:
        queue = list(chunks)

        async def receive() -> Any:
            chunk = queue.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

        token, replay = await token_from_multipart(receive, "b")
        seen = b""
        while True:
            message: dict[str, Any] = dict(await replay())
            seen += message["body"]
            if not message["more_body"]:
                return token, seen

    token, seen = asyncio.run(scenario())
    assert token == "abc123"
    assert seen == body
