#!/usr/bin/env bash
# System packages the project needs beyond Python: none yet for transcription (PyAV and
# CTranslate2 wheels carry their own libraries). Kept as one place for later additions.
set -euo pipefail
mkdir -p var
bash "$(dirname "$0")/install_meilisearch.sh"

# The site's browser tests (tests/browser, issue 5) drive Debian's Chromium through Playwright's
# executable_path; Playwright never downloads a browser of its own.
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y chromium
fi
