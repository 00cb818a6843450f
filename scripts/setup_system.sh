#!/usr/bin/env bash
# What the project needs beyond its Python packages, run by `make setup` after the venv exists.
# Transcription needs nothing here (the PyAV and CTranslate2 wheels carry their own libraries);
# search needs the pinned Meilisearch binary; the browser tests need Debian's Chromium.
set -euo pipefail
mkdir -p var
bash "$(dirname "$0")/install_meilisearch.sh"
bash "$(dirname "$0")/install_vendor_js.sh"

# The site's browser tests (tests/browser) drive Debian's Chromium through Playwright's
# executable_path; Playwright never downloads a browser of its own.
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y chromium
fi

# The queue fault tests (tests/integration/test_faults_jobs.py) crash and restart a Redis of their
# own (tests/redis_server.py), never the shared one: Debian's redis-server provides the program.
if ! command -v redis-server >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y redis-server
fi

# `webinar-archive backup` and `restore` on PostgreSQL run pg_dump and pg_restore (their major
# version at least the server's); tests/integration/test_backup.py uses them against
# TEST_DATABASE_URL. Debian's postgresql-client provides both.
if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y postgresql-client
fi
