#!/usr/bin/env python3
"""W4 peer: one nanoGPT training step (vocab 65, pre-LayerNorm, causal attention, GELU-tanh MLP, tied
embeddings, AdamW lr 1e-3) in PyTorch eager on random tokens: W4s on the CPU (4 layers, 4 heads, width
128, context 64, batch 16; 2 threads), W4 on the GPU (`w4_nanogpt_step_torch.py cuda`: 6 layers, 6 heads,
width 384, context 256, batch 64), fp32. Prints the median step time in ms."""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from train_step_timing import median_step_ms

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
layers, heads, width, context, batch = (4, 4, 128, 64, 16) if device == "cpu" else (6, 6, 384, 256, 64)
vocab = 65
torch.set_num_threads(2)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.c_attn, self.c_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(width, dim=2)
        q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // heads)
        att = att.masked_fill(torch.ones(t, t, device=x.device).tril() == 0, float("-inf")).softmax(-1)
        x = x + self.c_proj((att @ v).transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.Sequential(*[Block() for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        return (self.ln_f(self.blocks(x)) @ self.wte.weight.t()).reshape(-1, vocab)


model = GPT().to(device)
x = torch.randint(0, vocab, (batch, context), device=device)
y = torch.randint(0, vocab, (batch * context,), device=device)
print(f"torch {torch.__version__} W4{'s' if device == 'cpu' else ''} step on {device}: "
      f"{median_step_ms(model, x, y, 3, 10, torch.optim.AdamW):.2f} ms")
