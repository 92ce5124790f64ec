#!/usr/bin/env bash
# A cache folder that cannot be written (here a path through a regular file, which stops root too)
# costs the cache, not the run: the same output as with a working cache, one warning, and the stand-in
# temporary folder removed at exit.
#   unwritable_cache_test.sh ANNEAL_BINARY
set -euo pipefail
anneal=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
touch "$work/not-a-folder"

ANNEAL_CACHE_DIR="$work/cache" "$anneal" kernels mlp-forward --run >"$work/expected"
ANNEAL_CACHE_DIR="$work/not-a-folder/cache" "$anneal" kernels mlp-forward --run >"$work/got" 2>"$work/err"
cmp -s "$work/expected" "$work/got" || { echo "the output differs without a cache:"; diff "$work/expected" "$work/got" | head; exit 1; }
warnings=$(grep -c "^warning: the cache folder $work/not-a-folder/cache/cpu cannot be written; running without that cache$" "$work/err" || true)
[ "$warnings" -eq 1 ] || { echo "expected one warning, got:"; cat "$work/err"; exit 1; }
[ -z "$(ls -A "$TMPDIR")" ] || { echo "the stand-in cache folder was left behind:"; ls -R "$TMPDIR"; exit 1; }
echo "unwritable cache folder: same output, one warning"
