"""Shared by the training-step peers (W2, W3, W4): one Adam (or given optimizer) step of `model` on a fixed random batch, timed
as the median over `reps` steps after `warmup`; a step ends with loss.item(), which synchronises."""
import statistics
import time

import torch


def median_step_ms(model, x, y, warmup, reps, optimizer=torch.optim.Adam):
    opt = optimizer(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)
