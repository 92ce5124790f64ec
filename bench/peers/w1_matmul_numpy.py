#!/usr/bin/env python3
"""W1 peer: 1024x1024 fp32 matmul with numpy (OpenBLAS). Prints median GFLOP/s over 20 runs.
Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see WORKLOADS.md)."""
import statistics
import time

import numpy as np

n = 1024
rng = np.random.default_rng(0)
a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
a @ b
times = []
for _ in range(20):
    t = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - t)
print(f"numpy {np.__version__} W1 matmul 1024: {2 * n**3 / statistics.median(times) / 1e9:.1f} GFLOP/s")
