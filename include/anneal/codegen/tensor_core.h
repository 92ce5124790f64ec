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
// TC(1, n) uses Hopper's warpgroup MMA instead (wgmma, sm_90a: compute 9.0 only): a block of two
// warpgroups computes a 128 x n tile (n 128 or 256), its operands copied with cp.async into shared
// memory in the 128-byte-swizzled layout the instruction reads directly, k-steps of 64 in a 4-stage
// ring, any of the four operand layouts (the instruction transposes m- or n-contiguous tiles). On an
// H200 it runs a 4096 fp16 matmul at ~540 TFLOP/s where mma.sync plateaus near 350.
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

// Whether TC(1, n) applies: float16/bfloat16, n 128 or 256, 128 dividing m, n dividing the n loop, k a
// multiple of 64, operands copyable in 16-byte pieces.
bool warpgroup_fits(const GemmPlan& plan, int64_t n);

}  // namespace anneal
