#!/bin/sh
# Run ON THE GPU MACHINE from the repository root (with devpack/ and third_party/gpt2-vocab/ carried): builds the
# CLI with CUDA, checks GPT-2 small against Hugging Face (tests/fixtures/gpt2_hf_check.py: 1 x 1024 logits within
# 1e-4, 100 greedy KV-cache tokens identical), then times W5 (1 x 1024, 8 x 1024) and W6 against PyTorch eager,
# alternating anneal and the peer, two runs each. Results go to $OUT.
set -eu
export LD_LIBRARY_PATH=$PWD/devpack/root/usr/lib/x86_64-linux-gnu
bench/device/build.sh . build-gpu anneal_exe >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
work=$(mktemp -d)
python3 tests/fixtures/gpt2_hf_check.py make third_party/gpt2-vocab "$work" 2>&1 | grep -v -i warn || true
prompt=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['prompt'])" "$work/hf_greedy.json")
a="build-gpu/anneal --device CUDA gpt2"
w="--weights $work/model/model.safetensors"
/usr/bin/time -f "logits: %e s, %M KB" $a logits --ids-file "$work/ids.txt" $w --save "$work/anneal_logits.safetensors" --top 3
$a sample "$prompt" $w --temperature 0 --tokens 100 --json > "$work/anneal_sample.json"
python3 tests/fixtures/gpt2_hf_check.py compare "$work" "$work/anneal_logits.safetensors" "$work/anneal_sample.json" | tee "$OUT/gpt2_check.json"
$a sample "$prompt" $w --temperature 0 --tokens 100 | tail -1
for round in 1 2; do
  echo "round $round"
  echo "  anneal w5 1x1024: $(build-gpu/anneal --device CUDA bench w5 --n 1 --json)"
  echo "  torch  w5 1x1024: $(python3 bench/peers/w5_w6_gpt2_torch.py w5 cuda 1 1024 2>/dev/null) ms"
  echo "  anneal w5 8x1024: $(build-gpu/anneal --device CUDA bench w5 --n 8 --json)"
  echo "  torch  w5 8x1024: $(python3 bench/peers/w5_w6_gpt2_torch.py w5 cuda 8 1024 2>/dev/null) ms"
  echo "  anneal w6: $(build-gpu/anneal --device CUDA bench w6 --json)"
  echo "  torch  w6: $(python3 bench/peers/w5_w6_gpt2_torch.py w6 cuda 2>/dev/null) ms/token"
done
# PROFILE=1: the kernels of one W5 forward pass (1 x 1024), slowest first.
if [ -n "${PROFILE:-}" ]; then ANNEAL_PROFILE=1 build-gpu/anneal --device CUDA bench w5 --n 1 --reps 3 2>&1 | tail -25; fi
