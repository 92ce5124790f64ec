#!/usr/bin/env python3
"""W2 peer: one MLP training step (784-512-512-10, ReLU, batch 128, cross-entropy, Adam lr 1e-3) in
PyTorch eager, on the CPU with 2 threads (default) or on the GPU (`w2_mlp_step_torch.py cuda`). Prints the
median step time in ms over 50 steps after warm-up."""
import sys

import torch

from train_step_timing import median_step_ms

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
torch.set_num_threads(2)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 10)).to(device)
x, y = torch.rand(128, 784, device=device), torch.randint(0, 10, (128,), device=device)
print(f"torch {torch.__version__} W2 step on {device}: {median_step_ms(model, x, y, 10, 50):.3f} ms")
