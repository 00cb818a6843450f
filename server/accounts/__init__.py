"""Staff accounts and access: who is calling, and what they may do.

The public needs no account; staff (role `staff`) upload, edit and publish, admins (role
`admin`) also manage accounts. The pieces:

- `secret.py`: the one secret (ARCHIVE_SECRET_KEY, else <data_dir>/secret.key, 0600) that signs
  session cookies and CSRF tokens, so every process and every restart agrees.
- `passwords.py`: Argon2id hashes (argon2-cffi), rehashed at sign-in when the parameters change;
  a dummy verification for unknown accounts so both cases take the same time.
- `tokens.py`: personal API tokens (`wa_...`), only their SHA-256 stored.
- `sessions.py`: the session cookie, HMAC-signed (user id, issue time, a fingerprint of the
  password hash so a changed password ends old sessions), HttpOnly, SameSite=Lax, Secure
  outside development (ARCHIVE_ENV).
- `users.py`: the SQL of accounts (create, list, disable, tokens) and of the sign-in rate limit,
  counted from `sign_in_attempt` rows so every process sees the same count; `sign_in()`.
- `auth.py`: `AuthMiddleware` sets `scope["user"]` (the `User`, or None for the public) from
  `Authorization: Bearer` or the session cookie; `current_user(request)`.
- `csrf.py`: Litestar's CSRF middleware (`CSRFConfig`) with the archive's rules: a request
  authenticated by a Bearer token needs no CSRF token; GET/HEAD never do.
- `guards.py`: `staff_guard` and `admin_guard` for routes: 401 anonymous, 403 wrong role.
- `plugin.py`: `AccountsPlugin(settings)` adds the middleware to `create_app`.

`server.accounts` builds on the catalogue and never imports the website (`server.web`), so the
jobs and the API can use its guards; the staff pages live in `server/web/staff.py`.
"""
