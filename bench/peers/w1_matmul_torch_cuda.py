#!/usr/bin/env python3
"""W1 peer on the GPU: C = A @ B, 4096 x 4096, random normal inputs, in PyTorch (cuBLAS) for fp32 (TF32
off, PyTorch's default), fp16 and bf16. Prints the median of 20 CUDA-event-timed runs after warm-up.
Usage: w1_matmul_torch_cuda.py [N] [--tf32]  (--tf32: fp32 only, with TF32 tensor cores allowed, the
peer of ANNEAL_TF32=1)."""
import statistics
import sys

import torch

args = [a for a in sys.argv[1:] if a != "--tf32"]
tf32 = "--tf32" in sys.argv[1:]
n = int(args[0]) if args else 4096
torch.backends.cuda.matmul.allow_tf32 = tf32
for dtype in (torch.float32,) if tf32 else (torch.float32, torch.float16, torch.bfloat16):
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(5):
        a @ b
    times = []
    for _ in range(20):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    ms = statistics.median(times)
    print(f"torch {torch.__version__} W1 {n} {str(dtype).removeprefix('torch.')}{' tf32' if tf32 else ''}: {ms:.3f} ms "
          f"{2 * n ** 3 / (ms * 1e-3) / 1e9:.0f} GFLOP/s")
