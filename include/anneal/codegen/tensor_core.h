// Tensor cores (NVIDIA mma.sync m16n8k16, f16/bf16 inputs, f32 accumulation). A kernel qualifies when
// its one store's value holds one sum-reduction, over one loop of a multiple of 16 iterations, of a
// product of two ungated float16 (or two bfloat16) loads: A depending on output loop m and not on n,
// B on n and not on m, with m a multiple of 32 and n of 16. Everything around the reduction (bias,
// activation, casts, other output loops such as a batch) is an epilogue, computed per accumulator.
// The TC opt marks such a kernel; the CUDA renderer then gives each warp a (16 tm) x (8 tn) tile of
// the output as tm x tn mma tiles (up to 4 x 8), 2 x 2 warps per block, fragments loaded straight
// from memory.
// Summation order differs from a loop's: results agree to float32 rounding, not bit for bit.
#pragma once
#include <optional>

#include "anneal/schedule/schedule.h"

namespace anneal {

struct TensorCorePlan {
  UOp reduce, range_k;
  UOp load_a, load_b;  // LOAD nodes; A reads (m, k), B reads (k, n)
  int axis_m = 0, axis_n = 0;
  DType dtype = dtypes::float16;
  int tiles_m = 1, tiles_n = 1;  // mma tiles per warp
};

std::optional<TensorCorePlan> match_tensor_core(const ScheduledKernel& kernel);

}  // namespace anneal
