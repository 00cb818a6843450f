#!/usr/bin/env bash
# Browser libraries the site serves itself (no CDN): fetched from the npm registry by `make setup`
# into static/vendor/ (git-ignored), each trusted only through the sha256 pinned here.
#
# tus-js-client: the upload form's resumable, chunked uploads (server/uploads/tus.py is the
# server side). Its dist/tus.min.js is a standalone browser bundle.
set -euo pipefail

TUS_PACKAGE="tus-js-client@4.3.1"
TUS_FILE="package/dist/tus.min.js"
TUS_SHA256="8cbb1b63fccc3bba0ae73ad1deb160ce046c3750851d0c3e94921ae3ef070eb8"

cd "$(dirname "$0")/.."
DEST="static/vendor/tus.min.js"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$DEST" && "$(sha256_of "$DEST")" == "$TUS_SHA256" ]]; then
    exit 0
fi
command -v npm >/dev/null || { echo "install_vendor_js: npm is required to fetch ${TUS_PACKAGE}" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$TUS_PACKAGE" >/dev/null)
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "$tarball" ]] || { echo "install_vendor_js: npm pack produced no tarball" >&2; exit 1; }
tar -xzf "$tarball" -C "$work" "$TUS_FILE"
actual="$(sha256_of "$work/$TUS_FILE")"
if [[ "$actual" != "$TUS_SHA256" ]]; then
    echo "install_vendor_js: CHECKSUM MISMATCH for ${TUS_PACKAGE} (expected ${TUS_SHA256}, got ${actual})" >&2
    exit 1
fi
mkdir -p "$(dirname "$DEST")"
install -m 0644 "$work/$TUS_FILE" "$DEST.part"
mv -f "$DEST.part" "$DEST"
echo "installed ${TUS_PACKAGE} at ${DEST}"
