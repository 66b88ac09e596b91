#!/usr/bin/env bash
# Puts the pinned Scalar API reference bundle (npm package @scalar/api-reference) into
# public/vendor/scalar, checked against the integrity hash pinned here, so the API docs page loads
# it from this server and works without internet. Skips the download when that version is there.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.76.0
INTEGRITY=sha512-pjqwnzmA9YK3ZX+IZSICMsywm4qI6HLSngR2py9H6TvFApHHuJjkTAd+gFJfnqJDzJuro8k7ji6JCtJ2U+Byng==
DEST=public/vendor/scalar

say() { printf 'vendor-scalar: %s\n' "$*"; }

if [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ] && [ -s "$DEST/api-reference.js" ]; then
  say "@scalar/api-reference ${VERSION} present"
  exit 0
fi

say "fetching @scalar/api-reference ${VERSION} from the npm registry"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@scalar/api-reference@${VERSION}" --silent --loglevel=error >/dev/null)
tarball="$work/scalar-api-reference-${VERSION}.tgz"
actual=$(node -e 'const c=require("crypto"),f=require("fs");
  process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tarball")
if [ "$actual" != "$INTEGRITY" ]; then
  say "integrity mismatch: expected ${INTEGRITY}, got ${actual}"
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/browser/standalone.js package/package.json
mkdir -p "$DEST"
cp "$work/package/dist/browser/standalone.js" "$DEST/api-reference.js"
# The package is MIT licensed; its manifest travels with the bundle as the record of that.
cp "$work/package/package.json" "$DEST/package.json"
printf '%s\n' "$VERSION" > "$DEST/VERSION"
say "installed into ${DEST}"
