#!/bin/sh
# Fetches one pinned npm package (by exact version and the sha256 of its tarball) and unpacks it into
# DEST, unless DEST already holds that version. Usage:
#   cmake/fetch_npm_package.sh NAME VERSION SHA256 DEST
# The packages we take from npm are those Debian does not have (DESIGN.md: dependencies).
set -eu
name=$1 version=$2 sha=$3 dest=$4
stamp="$dest/.fetched-$(echo "$name" | tr / _)-$version"  # scoped names (@scope/name) hold a slash
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { echo "fetch_npm_package: npm not found (apt-get install npm)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "$name@$version" >/dev/null )
tarball=$(ls "$work"/*.tgz)
got=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
  echo "fetch_npm_package: $name@$version has sha256 $got, expected $sha; refusing it"
  exit 1
fi
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest" --strip-components=1
touch "$stamp"
echo "fetch_npm_package: $name@$version -> $dest"
