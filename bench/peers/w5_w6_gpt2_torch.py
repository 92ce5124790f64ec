#!/usr/bin/env python3
"""W5/W6 peers: GPT-2 small (transformers' GPT2LMHeadModel(GPT2Config()), random weights, seed 0) in PyTorch
eager, fp32, no gradients. Where transformers is missing (Debian's PyTorch on the CPU machine) W5 runs the
same network written out below (nanoGPT's GPT-2: fused qkv, GELU tanh, LayerNorm 1e-5, tied output layer).
  w5_w6_gpt2_torch.py w5 DEVICE BATCH SEQ   one forward pass of BATCH x SEQ random tokens with the full logits
  w5_w6_gpt2_torch.py w6 DEVICE             HF generate, greedy, 16-token prompt + 128 new tokens, per token
Prints the median over 10 runs (W6: 3) after warm-up, in ms, synchronising the GPU before reading the clock."""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from transformers import GPT2Config, GPT2LMHeadModel
except ImportError:
    GPT2LMHeadModel = None


class Block(nn.Module):
    def __init__(self, width=768, heads=12):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.c_attn, self.c_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.13 (Debian)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.heads) ** 0.5)
            att = att.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).tril().logical_not(), float("-inf"))
            y = att.softmax(-1) @ v
        x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(50257, 768), nn.Embedding(1024, 768)
        self.blocks = nn.Sequential(*[Block() for _ in range(12)])
        self.ln_f = nn.LayerNorm(768)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        return self.ln_f(self.blocks(x)) @ self.wte.weight.t()

kind, device = sys.argv[1], sys.argv[2]
torch.set_num_threads(2 if device == "cpu" else torch.get_num_threads())
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 is fp32 (anneal computes fp32 in fp32)
torch.manual_seed(0)
if GPT2LMHeadModel is not None:
    model = GPT2LMHeadModel(GPT2Config()).to(device).eval()
    forward = lambda idx: model(idx).logits
else:
    assert kind == "w5", "W6 (HF generate) needs transformers"
    model = Gpt2Small().to(device).eval()
    forward = model


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
        print(f"{median_ms(lambda: forward(idx), 10):.3f}")
    else:
        prompt = torch.tensor([[(i * 7919) % 50257 for i in range(16)]], device=device)
        gen = lambda: model.generate(prompt, max_new_tokens=128, min_new_tokens=128, do_sample=False, pad_token_id=50256)
        print(f"{median_ms(gen, 3, warmup=1) / 128:.3f}")
