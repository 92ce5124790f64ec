#!/usr/bin/env python3
"""W5/W6 peers: GPT-2 small (transformers' GPT2LMHeadModel(GPT2Config()), random weights, seed 0) in PyTorch
eager, fp32, no gradients.
  w5_w6_gpt2_torch.py w5 DEVICE BATCH SEQ   one forward pass of BATCH x SEQ random tokens with the full logits
  w5_w6_gpt2_torch.py w6 DEVICE             HF generate, greedy, 16-token prompt + 128 new tokens, per token
Prints the median over 10 runs (W6: 3) after warm-up, in ms, synchronising the GPU before reading the clock."""
import statistics
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

kind, device = sys.argv[1], sys.argv[2]
torch.set_num_threads(2 if device == "cpu" else torch.get_num_threads())
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 is fp32 (anneal computes fp32 in fp32)
torch.manual_seed(0)
model = GPT2LMHeadModel(GPT2Config()).to(device).eval()


def median_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


with torch.no_grad():
    if kind == "w5":
        batch, seq = int(sys.argv[3]), int(sys.argv[4])
        idx = torch.randint(0, 50257, (batch, seq), device=device)
        print(f"{median_ms(lambda: model(idx).logits, 10):.3f}")
    else:
        prompt = torch.tensor([[(i * 7919) % 50257 for i in range(16)]], device=device)
        gen = lambda: model.generate(prompt, max_new_tokens=128, min_new_tokens=128, do_sample=False, pad_token_id=50256)
        print(f"{median_ms(gen, 3, warmup=1) / 128:.3f}")
