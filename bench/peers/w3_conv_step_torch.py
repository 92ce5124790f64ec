#!/usr/bin/python3
"""W3 peer: one training step of the Fashion-MNIST conv net (WORKLOADS.md) in PyTorch eager, batch 128,
Adam, on the CPU with 2 threads (default) or on the GPU (`w3_conv_step_torch.py cuda`). Prints the median
step time in ms over 10 steps after warm-up."""
import sys

import torch

from train_step_timing import median_step_ms

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
torch.set_num_threads(2)
torch.manual_seed(0)
nn = torch.nn
model = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.Conv2d(32, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(576, 10)).to(device)
x, y = torch.rand(128, 1, 28, 28, device=device), torch.randint(0, 10, (128,), device=device)
print(f"torch {torch.__version__} W3 step on {device}: {median_step_ms(model, x, y, 3, 10):.2f} ms")
