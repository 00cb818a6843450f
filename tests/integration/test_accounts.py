"""Accounts and access through Litestar's TestClient on `create_app`: signing in and out, a
wrong password, the rate limit, CSRF, API tokens, 401/403 on staff pages and API writes, the
secret shared by two app instances, and drafts the public can neither see, find nor stream.

Catalogues are real SQLite files (fresh per test, so the rate limit starts at zero); the draft
test uses the real Meilisearch of tests/conftest.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, delete, post
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session

from server.accounts.auth import current_user
from server.accounts.guards import admin_guard, staff_guard
from server.accounts.secret import KEY_FILE, SecretKeyError
from server.accounts.sessions import COOKIE_NAME
from server.accounts.users import ACCOUNT_LIMIT, ADDRESS_LIMIT
from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import Webinar
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import Settings
from tests.factories import make_manifest, make_transcript
from tests.site_data import add_account, add_token, settings_for, store_and_index

HTML = {"accept": "text/html,application/xhtml+xml"}
ADMIN, ADMIN_PASSWORD = "admin@example.org", "admin password, long enough"
STAFF, STAFF_PASSWORD = "staff@example.org", "staff password, long enough"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
ALLOWED_ANONYMOUS_WRITES = {"/staff/sign-in", "/staff/sign-out"}


@post("/api/test/staff-write", guards=[staff_guard], include_in_schema=False)
async def staff_write(request: Request[Any, Any, Any]) -> dict[str, str]:
    user = current_user(request)
    assert user is not None
    return {"email": user.email}


@delete("/api/test/admin-write", guards=[admin_guard], include_in_schema=False, status_code=200)
async def admin_write(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"ok": "yes"}


@post("/staff/test-upload", guards=[staff_guard], include_in_schema=False)
async def staff_upload(request: Request[Any, Any, Any]) -> dict[str, int]:
    """Streams the body as an upload handler does: the CSRF check must leave all of it."""
    body = b"".join([chunk async for chunk in request.stream()])
    return {"bytes": len(body), "payload": body.count(b"0123456789")}


def make_app(settings: Settings, **kwargs: Any) -> Litestar:
    handlers = [staff_write, admin_write, staff_upload]
    return create_app(settings, search=False, extra_handlers=handlers, **kwargs)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path, development=True)
    add_account(settings, ADMIN, ADMIN_PASSWORD, "admin")
    add_account(settings, STAFF, STAFF_PASSWORD, "staff")
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=make_app(settings)) as client:
        yield client


def csrf_token(client: TestClient[Litestar]) -> str:
    """The token of the sign-in form (its GET also sets the CSRF cookie)."""
    response = client.get("/staff/sign-in", headers=HTML)
    match = TOKEN_FIELD.search(response.text)
    assert match, response.text
    return match.group(1)


def sign_in(client: TestClient[Litestar], email: str, password: str, **headers: str) -> Any:
    form = {"email": email, "password": password, "_csrf_token": csrf_token(client), "next": "/staff"}
    return client.post("/staff/sign-in", data=form, headers={**HTML, **headers}, follow_redirects=False)


# --- signing in and out ------------------------------------------------------------------


def test_sign_in_and_out(client: TestClient[Litestar]) -> None:
    anonymous = client.get("/staff", headers=HTML)
    assert anonymous.status_code == 401  # the sign-in form, coming back here afterwards
    assert "Staff sign-in" in anonymous.text
    assert 'name="next" value="/staff"' in anonymous.text

    response = sign_in(client, ADMIN.upper(), ADMIN_PASSWORD)  # email case is ignored
    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE_NAME))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=" in cookie
    assert "Secure" not in cookie  # ARCHIVE_ENV=development: http://127.0.0.1 keeps the session

    home = client.get("/staff", headers=HTML)
    assert home.status_code == 200
    assert f"Signed in as <strong>{ADMIN}</strong>" in home.text
    assert home.headers["cache-control"] == "no-store"
    assert 'href="/staff/users"' in home.text  # admins see the accounts page
    assert client.get("/", headers=HTML).text.count('href="/staff"') == 1  # the header links it
    assert client.get("/staff/sign-in", headers=HTML, follow_redirects=False).status_code == 302

    token = TOKEN_FIELD.search(home.text)
    assert token is not None
    out = client.post(
        "/staff/sign-out", data={"_csrf_token": token.group(1)}, headers=HTML, follow_redirects=False
    )
    assert out.status_code == 303
    assert out.headers["location"] == "/"
    assert any(
        c.startswith(f"{COOKIE_NAME}=;") or f'{COOKIE_NAME}="";' in c
        for c in out.headers.get_list("set-cookie")
    )
    assert client.get("/staff", headers=HTML).status_code == 401
    assert 'href="/staff"' not in client.get("/", headers=HTML).text


def test_public_pages_set_no_cookies(client: TestClient[Litestar]) -> None:
    for url in ["/", "/search", "/webinars", "/feed.xml", "/api/webinars", "/health"]:
        response = client.get(url, headers=HTML)
        assert response.status_code == 200, url
        assert "set-cookie" not in response.headers, url
        assert 'name="csrf-token"' not in response.text, url


def test_secure_cookies_outside_development(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)  # ARCHIVE_ENV unset: production
    add_account(settings, STAFF, STAFF_PASSWORD)
    with TestClient(app=make_app(settings), base_url="https://archive.example") as client:
        response = sign_in(client, STAFF, STAFF_PASSWORD)
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        assert all("Secure" in c for c in cookies)
        assert len(cookies) >= 1
        assert client.get("/staff", headers=HTML).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient[Litestar]) -> None:
    wrong = sign_in(client, STAFF, "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert "That email and password do not match an account" in response.text
        assert COOKIE_NAME not in response.headers.get("set-cookie", "")
    assert client.get("/staff", headers=HTML).status_code == 401


def test_unknown_email_costs_one_argon2_check_like_a_wrong_password(
    client: TestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same work for both, so the answer's timing does not tell which accounts exist."""
    from server.accounts import passwords

    calls: list[str] = []
    real = passwords.verify

    def counting(password_hash: str, password: str) -> tuple[bool, str | None]:
        calls.append(password_hash.split("$")[1])
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify", counting)
    sign_in(client, STAFF, "not the password at all")
    sign_in(client, "nobody@example.org", "not the password at all")
    assert calls == ["argon2id", "argon2id"]


def test_disabled_account_cannot_sign_in_and_its_session_ends(
    client: TestClient[Litestar], settings: Settings
) -> None:
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303
    from server.accounts import users

    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        users.set_disabled(session, users.get_user(session, STAFF), True)
    engine.dispose()
    assert client.get("/staff", headers=HTML).status_code == 401  # the cookie names a disabled account
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 401


# --- the rate limit ----------------------------------------------------------------------


def test_rate_limit_per_account(client: TestClient[Litestar], settings: Settings) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert sign_in(client, STAFF, "wrong wrong wrong").status_code == 401
    limited = sign_in(client, STAFF, STAFF_PASSWORD)  # even the right password waits now
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert "Too many failed sign-ins" in limited.text
    # Counted in the database: another process of the site (a second app) agrees.
    with TestClient(app=make_app(settings)) as other:
        assert sign_in(other, STAFF, STAFF_PASSWORD).status_code == 429
    # Other accounts are not locked out by this one's failures.
    assert sign_in(client, ADMIN, ADMIN_PASSWORD).status_code == 303


def test_success_does_not_count_and_ends_a_run_of_failures(client: TestClient[Litestar]) -> None:
    for _ in range(ACCOUNT_LIMIT - 1):
        assert sign_in(client, STAFF, "wrong wrong wrong").status_code == 401
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303
    for _ in range(ACCOUNT_LIMIT - 1):
        assert sign_in(client, STAFF, "wrong wrong wrong").status_code == 401
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303


def test_rate_limit_per_address(client: TestClient[Litestar]) -> None:
    for n in range(ADDRESS_LIMIT):
        assert sign_in(client, f"guess{n}@example.org", "wrong wrong wrong").status_code == 401
    limited = sign_in(client, "fresh@example.org", "wrong wrong wrong")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


def test_rate_limit_answers_json_to_programs(settings: Settings) -> None:
    from server.accounts import users

    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        for _ in range(ACCOUNT_LIMIT):
            users.record_attempt(session, STAFF, "testclient", succeeded=False)
        with pytest.raises(Exception, match="Too many failed sign-ins") as caught:
            users.check_sign_in_limit(session, STAFF, "testclient")
    engine.dispose()
    assert getattr(caught.value, "status", None) == 429


# --- CSRF ---------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused(client: TestClient[Litestar]) -> None:
    csrf_token(client)  # the CSRF cookie is there; the field is not sent
    form = {"email": STAFF, "password": STAFF_PASSWORD}
    refused = client.post("/staff/sign-in", data=form, headers=HTML)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "security token is missing or wrong" in refused.text
    wrong = client.post("/staff/sign-in", data={**form, "_csrf_token": "0" * 128}, headers=HTML)
    assert wrong.status_code == 403
    assert client.get("/staff", headers=HTML).status_code == 401  # not signed in

    assert sign_in(client, ADMIN, ADMIN_PASSWORD).status_code == 303
    new_account = {
        "email": "new@example.org",
        "role": "staff",
        "password": "x" * 12,
        "password_again": "x" * 12,
    }
    assert client.post("/staff/users", data=new_account, headers=HTML).status_code == 403
    assert client.post("/staff/sign-out", headers=HTML).status_code == 403
    assert client.get("/staff", headers=HTML).status_code == 200  # still signed in
    # A cookie-authenticated API write needs the token too (as a header, for scripts).
    assert client.post("/api/test/staff-write", json={}).status_code == 403
    token = client.cookies["csrftoken"]
    allowed = client.post("/api/test/staff-write", json={}, headers={"x-csrftoken": token})
    assert allowed.status_code == 201
    assert allowed.json() == {"email": ADMIN}


def test_multipart_forms_keep_their_body_for_streaming_handlers(client: TestClient[Litestar]) -> None:
    """The token is read from the first part; the handler still streams the whole body."""
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303
    token = client.cookies["csrftoken"]
    payload = b"0123456789" * 50_000  # 500 kB, past what the middleware may read ahead
    boundary = "archive-test-boundary"

    def body(*parts: tuple[str, str | None, bytes]) -> bytes:
        out = b""
        for name, filename, data in parts:
            disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        return out + f"--{boundary}--\r\n".encode()

    headers = {**HTML, "content-type": f"multipart/form-data; boundary={boundary}"}
    first = body(("_csrf_token", None, token.encode()), ("media", "talk.opus", payload))
    response = client.post("/staff/test-upload", content=first, headers=headers)
    assert response.status_code == 201
    assert response.json() == {"bytes": len(first), "payload": 50_000}
    after = body(("media", "talk.opus", payload), ("_csrf_token", None, token.encode()))
    assert client.post("/staff/test-upload", content=after, headers=headers).status_code == 403
    missing = body(("title", None, b"A talk"), ("media", "talk.opus", payload))
    assert client.post("/staff/test-upload", content=missing, headers=headers).status_code == 403
    wrong = body(("_csrf_token", None, b"f" * 128), ("media", "talk.opus", payload))
    assert client.post("/staff/test-upload", content=wrong, headers=headers).status_code == 403


def test_scripts_find_the_token_in_the_page(client: TestClient[Litestar]) -> None:
    sign_in(client, STAFF, STAFF_PASSWORD)
    page = client.get("/", headers=HTML).text  # a public page, signed in: the token is there
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert meta is not None
    response = client.post("/api/test/staff-write", json={}, headers={"x-csrftoken": meta.group(1)})
    assert response.status_code == 201


# --- API tokens, 401 and 403 --------------------------------------------------------------


def test_bearer_token_works_without_csrf_and_revoked_gets_401(
    settings: Settings, client: TestClient[Litestar]
) -> None:
    token = add_token(settings, STAFF)
    bearer = {"authorization": f"Bearer {token}"}
    response = client.post("/api/test/staff-write", json={}, headers=bearer)  # no CSRF token
    assert response.status_code == 201
    assert response.json() == {"email": STAFF}
    assert client.get("/staff", headers={**HTML, **bearer}).status_code == 200
    assert "set-cookie" not in response.headers

    from server.accounts import users

    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        assert users.revoke_tokens(session, users.get_user(session, STAFF)) == 1
    engine.dispose()
    revoked = client.post("/api/test/staff-write", json={}, headers=bearer)
    assert revoked.status_code == 401
    assert revoked.headers["content-type"].startswith("application/problem+json")
    assert revoked.json()["status"] == 401
    assert "revoked" in revoked.json()["detail"]
    assert revoked.headers["www-authenticate"].startswith("Bearer")
    unknown = client.get("/api/webinars", headers={"authorization": "Bearer wa_not-a-token"})
    assert unknown.status_code == 401


def test_a_bearer_request_ignores_the_session_cookie(
    settings: Settings, client: TestClient[Litestar]
) -> None:
    sign_in(client, ADMIN, ADMIN_PASSWORD)
    token = add_token(settings, STAFF)
    response = client.delete("/api/test/admin-write", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 403  # the token's account (staff), not the admin's cookie


def test_anonymous_401_and_wrong_role_403(settings: Settings, client: TestClient[Litestar]) -> None:
    api = client.post("/api/test/staff-write", json={})
    assert api.status_code == 401
    assert api.json()["status"] == 401
    assert client.get("/staff/users", headers=HTML).status_code == 401
    assert client.get("/staff/users").json()["status"] == 401  # a program gets problem JSON

    token = add_token(settings, STAFF)
    staff_api = client.delete("/api/test/admin-write", headers={"authorization": f"Bearer {token}"})
    assert staff_api.status_code == 403
    assert staff_api.json()["status"] == 403

    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303
    page = client.get("/staff/users", headers=HTML)
    assert page.status_code == 403
    assert "Only administrators" in page.text
    form = {"_csrf_token": client.cookies["csrftoken"], "email": "x@example.org", "role": "admin"}
    assert client.post("/staff/users", data=form, headers=HTML).status_code == 403
    home = client.get("/staff", headers=HTML)
    assert home.status_code == 200
    assert 'href="/staff/users"' not in home.text


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m.group(2) == "int" else "x", path)


def test_every_write_endpoint_needs_an_account(client: TestClient[Litestar]) -> None:
    """Walks the app's routes: every POST/PUT/PATCH/DELETE answers 401 to an anonymous caller
    (with a valid CSRF token, so the guard is what answers), except signing in and out."""
    token = csrf_token(client)
    checked = []
    for route in client.app.routes:
        for method in sorted(set(getattr(route, "methods", ())) & {"POST", "PUT", "PATCH", "DELETE"}):
            if route.path in ALLOWED_ANONYMOUS_WRITES:
                continue
            url = _fill(route.path)
            response = client.request(method, url, headers={"x-csrftoken": token, **HTML}, json={})
            assert response.status_code == 401, f"{method} {route.path}: {response.status_code}"
            checked.append(f"{method} {route.path}")
    assert "POST /staff/users" in checked
    assert "POST /api/test/staff-write" in checked


# --- accounts in the site -----------------------------------------------------------------


def test_admin_manages_accounts(client: TestClient[Litestar], settings: Settings) -> None:
    assert sign_in(client, ADMIN, ADMIN_PASSWORD).status_code == 303
    add_token(settings, STAFF)
    page = client.get("/staff/users", headers=HTML)
    assert page.status_code == 200
    assert STAFF in page.text
    assert "Revoke tokens" in page.text
    token = client.cookies["csrftoken"]

    short = {"_csrf_token": token, "email": "new@example.org", "role": "staff"}
    refused = client.post(
        "/staff/users", data={**short, "password": "short", "password_again": "short"}, headers=HTML
    )
    assert refused.status_code == 400
    assert "12 characters" in refused.text
    good = {**short, "password": "a new long password", "password_again": "a new long password"}
    created = client.post("/staff/users", data=good, headers=HTML)
    assert created.status_code == 200
    assert "Account new@example.org created" in created.text
    again = client.post("/staff/users", data=good, headers=HTML)
    assert again.status_code == 409
    assert "already exists" in again.text

    from server.accounts import users

    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session:
        staff_id = users.get_user(session, STAFF).id
        admin_id = users.get_user(session, ADMIN).id
    engine.dispose()
    revoked = client.post(f"/staff/users/{staff_id}/revoke-tokens", data={"_csrf_token": token}, headers=HTML)
    assert revoked.status_code == 200
    assert "Every API token of staff@example.org is revoked (1)" in revoked.text
    disabled = client.post(f"/staff/users/{staff_id}/disable", data={"_csrf_token": token}, headers=HTML)
    assert disabled.status_code == 200
    assert "disabled" in disabled.text
    with TestClient(app=make_app(settings)) as other:
        assert sign_in(other, STAFF, STAFF_PASSWORD).status_code == 401
    enabled = client.post(f"/staff/users/{staff_id}/enable", data={"_csrf_token": token}, headers=HTML)
    assert enabled.status_code == 200
    myself = client.post(f"/staff/users/{admin_id}/disable", data={"_csrf_token": token}, headers=HTML)
    assert myself.status_code == 400
    assert "your own account" in myself.text
    with TestClient(app=make_app(settings)) as other:
        assert sign_in(other, "NEW@example.org", "a new long password").status_code == 303


# --- the secret ---------------------------------------------------------------------------


def test_the_secret_persists_and_is_shared(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, development=True)
    add_account(settings, STAFF, STAFF_PASSWORD)
    with TestClient(app=make_app(settings)) as first:
        assert sign_in(first, STAFF, STAFF_PASSWORD).status_code == 303
        session_cookie = first.cookies[COOKIE_NAME]
    key_file = settings.storage.data_dir / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    # A second instance (another worker, or after a restart) accepts the first one's cookie.
    with TestClient(app=make_app(settings)) as second:
        second.cookies.set(COOKIE_NAME, session_cookie)
        assert second.get("/staff", headers=HTML).status_code == 200
    # A forged cookie is no session.
    with TestClient(app=make_app(settings)) as third:
        third.cookies.set(COOKIE_NAME, session_cookie[:-4] + "AAAA")
        assert third.get("/staff", headers=HTML).status_code == 401
    # ARCHIVE_SECRET_KEY wins over the file: the old cookie means nothing there.
    configured = Settings.from_env(
        {"ARCHIVE_ENV": "development", "ARCHIVE_SECRET_KEY": "k" * 40}, base_dir=tmp_path
    )
    with TestClient(app=make_app(configured)) as other:
        other.cookies.set(COOKIE_NAME, session_cookie)
        assert other.get("/staff", headers=HTML).status_code == 401
    # A key file other users can read is refused, not used.
    key_file.chmod(0o640)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        make_app(settings)


# --- drafts are not public ----------------------------------------------------------------


@pytest.fixture
def draft_site(
    tmp_path: Path, meili_server: MeiliConnection
) -> Iterator[tuple[TestClient[Litestar], Settings, str, str]]:
    from server.search.indexer import index_catalogue
    from tests.meili_server import delete_index

    index_uid = f"acc_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path, development=True)
    public = store_and_index(
        settings, make_transcript(), make_manifest(), "public.opus",
        connection=meili_server, index_uid=index_uid, media_bytes=b"public recording",
    )  # fmt: skip
    draft = store_and_index(
        settings, make_transcript(), make_manifest("Secret draft on circular procurement"), "draft.opus",
        connection=None, index_uid=index_uid, media_bytes=b"draft recording",
    )  # fmt: skip
    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        session.execute(update(Webinar).where(Webinar.slug == draft).values(published=False))  # type: ignore[arg-type]
    index_catalogue(settings, engine, connection=meili_server, index_uid=index_uid)  # a full rebuild
    engine.dispose()
    (settings.storage.media_dir / "stray.opus").write_bytes(b"no webinar's")
    add_account(settings, STAFF, STAFF_PASSWORD)
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index_uid)]
    )
    try:
        with TestClient(app=app) as client:
            yield client, settings, public, draft
    finally:
        delete_index(meili_server, index_uid)


def test_drafts_are_invisible_to_the_public(
    draft_site: tuple[TestClient[Litestar], Settings, str, str],
) -> None:
    client, _settings, public, draft = draft_site
    assert client.get(f"/webinars/{public}", headers=HTML).status_code == 200
    assert client.get(f"/webinars/{draft}", headers=HTML).status_code == 404
    assert client.get(f"/webinars/{draft}/embed", headers=HTML).status_code == 404
    assert client.get(f"/api/webinars/{draft}").status_code == 404
    assert client.get(f"/webinars/{draft}/captions.vtt").status_code == 404
    listing = client.get("/api/webinars").json()
    assert [w["slug"] for w in listing["items"]] == [public]
    assert listing["total"] == 1
    for url in ["/", "/webinars", "/feed.xml", "/sitemap.xml", "/topics/procurement"]:
        body = client.get(url, headers=HTML).text
        assert public in body, url
        assert draft not in body, url
        assert "Secret draft" not in body, url
    hits = client.get("/api/search", params={"q": "refurbished furniture"}).json()
    slugs = {hit["webinar"]["slug"] for hit in hits["hits"]}
    assert slugs == {public}
    page = client.get("/search", params={"q": "secret draft"}, headers=HTML).text
    assert draft not in page
    # Media: the public recording for everyone; the draft's and files of no webinar for nobody.
    assert client.get("/media/public.opus").content == b"public recording"
    assert client.get("/media/draft.opus").status_code == 404
    assert client.head("/media/draft.opus").status_code == 404
    assert client.get("/media/stray.opus").status_code == 404
    # Signed-in staff can check the draft before publishing, but not stray files.
    assert sign_in(client, STAFF, STAFF_PASSWORD).status_code == 303
    staff_view = client.get("/media/draft.opus")
    assert staff_view.status_code == 200
    assert staff_view.content == b"draft recording"
    assert staff_view.headers["cache-control"].startswith("private")
    assert client.get("/media/stray.opus").status_code == 404


# --- the SQL on both databases ------------------------------------------------------------


def test_accounts_sql_on_sqlite_and_postgresql(catalog_engine: Any) -> None:
    """Tokens, sessions and the rate limit's arithmetic with each backend's timestamps."""
    import datetime as dt

    from server.accounts import users
    from server.accounts.sessions import password_fingerprint
    from server.catalog.models import SignInAttempt

    with Session(catalog_engine) as session, session.begin():
        user = users.create_user(session, " Eve@Example.org ", "$argon2id$stand-in", "staff")
        token = users.issue_token(session, user, "ci")
        user_id = user.id
    assert user_id is not None
    with Session(catalog_engine) as session:
        found = users.user_for_token(session, token)
        assert found is not None
        assert found.email == "eve@example.org"
        assert users.user_for_token(session, token + "x") is None
    with Session(catalog_engine) as session:
        assert (
            users.user_for_session(session, user_id, password_fingerprint("$argon2id$stand-in")) is not None
        )
        assert users.user_for_session(session, user_id, password_fingerprint("$argon2id$other")) is None

    now = dt.datetime.now(dt.UTC)
    with Session(catalog_engine) as session, session.begin():
        for minutes in (20, 14, 10, 6, 4, 2):  # the one 20 minutes ago is outside the window
            session.add(
                SignInAttempt(
                    email="eve@example.org", address="198.51.100.7", at=now - dt.timedelta(minutes=minutes)
                )
            )
    with Session(catalog_engine) as session:
        limit = users.sign_in_limit(session, "eve@example.org", "203.0.113.9", now=now)
        assert not limit.allowed
        # The oldest of the five in the window (14 minutes ago) leaves it in about a minute.
        assert 55 <= limit.retry_after <= 62
        assert users.sign_in_limit(session, "other@example.org", "203.0.113.9", now=now).allowed
    with Session(catalog_engine) as session, session.begin():
        session.add(
            SignInAttempt(
                email="eve@example.org",
                address="198.51.100.7",
                at=now - dt.timedelta(minutes=1),
                succeeded=True,
            )
        )
    with Session(catalog_engine) as session:
        assert users.sign_in_limit(session, "eve@example.org", "203.0.113.9", now=now).allowed
    with Session(catalog_engine) as session, session.begin():
        assert users.revoke_tokens(session, users.get_user(session, "eve@example.org")) == 1
    with Session(catalog_engine) as session:
        assert users.user_for_token(session, token) is None
