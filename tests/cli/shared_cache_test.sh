#!/usr/bin/env bash
# Four processes compiling into one empty kernel cache folder at once must each read whole entries
# only: every process prints what a process with a private cache prints, and no temporary is left.
#   shared_cache_test.sh ANNEAL_BINARY
set -euo pipefail
anneal=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

programs=(mlp-forward conv2d softmax)
for p in "${programs[@]}"; do
  ANNEAL_CACHE_DIR="$work/private" "$anneal" kernels "$p" --run >"$work/expected.$p"
done
pids=()
for i in 1 2 3 4; do
  (for p in "${programs[@]}"; do ANNEAL_CACHE_DIR="$work/shared" "$anneal" kernels "$p" --run >"$work/out$i.$p"; done) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done  # set -e: a failed process fails the test
for i in 1 2 3 4; do
  for p in "${programs[@]}"; do
    cmp -s "$work/expected.$p" "$work/out$i.$p" || { echo "process $i printed other values for $p"; diff "$work/expected.$p" "$work/out$i.$p" | head; exit 1; }
  done
done
leftovers=$(find "$work/shared" -name '*.tmp.*' | wc -l)
[ "$leftovers" -eq 0 ] || { echo "$leftovers temporaries left in the cache folder"; exit 1; }
echo "4 processes on one cache folder agree with a private cache ($(find "$work/shared" -type f | wc -l) cache files)"
