#!/usr/bin/env bash
# A training run killed with SIGKILL at random moments while it writes a checkpoint every step must
# leave a checkpoint that loads (the old one or the new one, never a torn file); the next run resumes
# from it and sweeps the killed writer's temporary.
#   kill_checkpoint_test.sh ANNEAL_BINARY TEXT_FILE [KILLS]
set -euo pipefail
anneal=$1 data=$2 kills=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ckpt="$work/run.safetensors"
RANDOM=2026  # the same moments on every run of the test

# Compile first (a kill during a cold compile would leave nothing to load), then start from scratch.
"$anneal" train nanogpt --data "$data" --steps 1 --batch 2 --plain --checkpoint "$ckpt" >/dev/null
rm -f "$ckpt"

loaded=0
for i in $(seq "$kills"); do
  resume=()
  [ -e "$ckpt" ] && resume=(--resume)
  "$anneal" train nanogpt --data "$data" --steps 1000000 --batch 2 --plain \
    --checkpoint "$ckpt" --checkpoint-every 1 "${resume[@]}" >"$work/train.log" 2>&1 &
  pid=$!
  if [ ${#resume[@]} -eq 0 ]; then  # the first run: kill only once a checkpoint exists, however slow the machine
    for _ in $(seq 600); do [ -e "$ckpt" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  sleep "$((RANDOM % 3)).$((RANDOM % 10))$((RANDOM % 10))"
  if ! kill -0 "$pid" 2>/dev/null; then echo "the training run ended before kill $i:"; cat "$work/train.log"; exit 1; fi
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if [ -e "$ckpt" ]; then
    "$anneal" sample nanogpt --checkpoint "$ckpt" "In the" --tokens 2 >/dev/null 2>"$work/sample.err" ||
      { echo "kill $i: the checkpoint does not load:"; cat "$work/sample.err"; exit 1; }
    loaded=$((loaded + 1))
  fi
done
[ "$loaded" -gt 0 ] || { echo "no checkpoint was ever written"; exit 1; }
# One more write sweeps the temporaries of the killed writers.
"$anneal" train nanogpt --data "$data" --steps 1000000 --batch 2 --plain --checkpoint "$ckpt" --checkpoint-every 1 --resume \
  >"$work/train.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  leftovers=$(find "$work" -name 'run.safetensors.tmp.*' | wc -l)
  [ "$leftovers" -eq 0 ] && break
  sleep 0.1
done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
[ "$leftovers" -eq 0 ] || { echo "the killed writers' temporaries were not removed:"; ls "$work"; exit 1; }
echo "$kills kills, checkpoint loaded after $loaded of them"
