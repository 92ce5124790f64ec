#!/usr/bin/env python3
"""W1 peer on the GPU: C = A @ B, 4096 x 4096, random normal inputs, in PyTorch (cuBLAS) for fp32 (TF32
off, PyTorch's default), fp16 and bf16. Prints the median of 20 CUDA-event-timed runs after warm-up."""
import statistics
import sys

import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
torch.backends.cuda.matmul.allow_tf32 = False
for dtype in (torch.float32, torch.float16, torch.bfloat16):
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
    print(f"torch {torch.__version__} W1 {n} {str(dtype).removeprefix('torch.')}: {ms:.3f} ms "
          f"{2 * n ** 3 / (ms * 1e-3) / 1e9:.0f} GFLOP/s")
