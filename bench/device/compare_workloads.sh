#!/bin/sh
# Times W1-W4 with two anneal binaries, alternating old, new, old, new per workload (each line: the
# median of --reps runs of one process). Usage: compare_workloads.sh OLD NEW [DEVICE]
set -eu
old=$1 new=$2 device=${3:-CUDA}
run() {  # binary, workload args...
  b=$1; shift
  ANNEAL_DEVICE=$device "$b" bench "$@" --json 2>/dev/null | tr -d '\n'; echo
}
for w in "w1 --dtype float32" "w1 --dtype float16" "w1 --dtype bfloat16" "w2" "w3" "w4"; do
  for round in 1 2; do
    echo "old $w: $(run "$old" $w)"
    echo "new $w: $(run "$new" $w)"
  done
done
