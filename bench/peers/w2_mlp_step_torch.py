#!/usr/bin/env python3
"""W2 peer: one MLP training step (784-512-512-10, ReLU, batch 128, cross-entropy, Adam lr 1e-3) in
PyTorch eager on the CPU, 2 threads. Prints the median step time in ms over 50 steps after warm-up."""
import statistics
import time

import torch

torch.set_num_threads(2)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))


def step():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(10):
    step()
times = []
for _ in range(50):
    t = time.perf_counter()
    step()
    times.append((time.perf_counter() - t) * 1e3)
print(f"torch {torch.__version__} W2 step: {statistics.median(times):.3f} ms")
