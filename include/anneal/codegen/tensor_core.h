// Tensor cores (NVIDIA mma.sync m16n8k16, f16/bf16 inputs, f32 accumulation) for matmul-shaped
// kernels (codegen/gemm.h) whose loads are both float16 or both bfloat16, with k a multiple of 16, m
// of 32 and n of 16.
//
// The TC opt marks such a kernel; the CUDA renderer then either stages block tiles of A and B through
// shared memory (TC(0, 128) / TC(0, 64): the block tile's side; cp.async copies, ldmatrix fragment
// loads, a 4-stage pipeline) when the operands' layouts allow 16-byte copies and the tile divides the
// loops, or (TC(0, 0)) gives each warp tiles whose fragments every lane loads straight from memory.
// Summation order differs from a loop's: results agree to float32 rounding, not bit for bit.
//
// float32 matmuls use tensor cores only when the user asks (ANNEAL_TF32=1, off by default as in
// PyTorch): inputs rounded to tf32 (10-bit mantissa, cvt.rna), mma.sync m16n8k8, k a multiple of 8,
// fragments loaded straight from memory (TC(0, 0) only).
#pragma once
#include <optional>

#include "anneal/codegen/gemm.h"

namespace anneal {

struct TensorCorePlan : GemmPlan {
  int tiles_m = 1, tiles_n = 1;  // mma tiles per warp (the direct form)
};

std::optional<TensorCorePlan> match_tensor_core(const ScheduledKernel& kernel);

// ANNEAL_TF32=1.
bool tf32_enabled();

// Whether TC(0, tile) may stage through shared memory (tile 64 or 128).
bool tensor_core_stages(const GemmPlan& plan, int64_t tile);

}  // namespace anneal
