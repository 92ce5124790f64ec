#!/usr/bin/env bash
# A cache folder on a full file system (a 256 KiB tmpfs, filled) costs the cache, not the run: the
# compile is redone in a private folder, with one warning and the same output. Needs root and mount
# (CI runs as root); elsewhere it exits 77, which CTest reports as skipped.
#   full_cache_test.sh ANNEAL_BINARY
set -euo pipefail
anneal=$1
work=$(mktemp -d)
full="$work/full"
mkdir -p "$full"
cleanup() { umount "$full" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mount -t tmpfs -o size=256k tmpfs "$full" 2>/dev/null || { echo "cannot mount a tmpfs here: skipped"; exit 77; }
mkdir -p "$full/cache/cpu"
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true  # until the file system is full
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

ANNEAL_CACHE_DIR="$work/cache" "$anneal" kernels softmax --run >"$work/expected"
ANNEAL_CACHE_DIR="$full/cache" "$anneal" kernels softmax --run >"$work/got" 2>"$work/err"
cmp -s "$work/expected" "$work/got" || { echo "the output differs with a full cache folder:"; diff "$work/expected" "$work/got" | head; cat "$work/err"; exit 1; }
warnings=$(grep -c "^warning: the cache folder $full/cache/cpu could not take a compiled kernel; running without that cache$" "$work/err" || true)
[ "$warnings" -eq 1 ] || { echo "expected one warning, got:"; cat "$work/err"; exit 1; }
echo "full cache folder: same output, one warning"
