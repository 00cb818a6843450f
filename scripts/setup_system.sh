#!/usr/bin/env bash
# System packages the project needs beyond Python: none yet for transcription (PyAV and
# CTranslate2 wheels carry their own libraries). Kept as one place for later additions.
set -euo pipefail
mkdir -p var
bash "$(dirname "$0")/install_meilisearch.sh"
