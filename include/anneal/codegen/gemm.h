// Matmul-shaped kernels, recognised on the kernel AST: the one store's value holds one f32 sum over
// one loop k of a product of two ungated loads, A reading output loop m (not n) and B reading n (not
// m). Everything around the sum (bias, activation, casts, a batch of other output loops) is the
// epilogue. Matmuls, their gradients (built from MUL and REDUCE by autodiff) and attention's batched
// products all come out in this form after lowering.
//
// When an operand's index is affine in the loops (no div/mod, which symbolic simplification removes
// from plain views), its strides say how the operand lies in memory: contiguous along k (a row-major
// A, a transposed B) or along m / n. Renderers use that to stage tiles through shared memory with
// 16-byte copies (codegen/opt.h: STAGE, TC).
#pragma once
#include <optional>
#include <vector>

#include "anneal/schedule/schedule.h"

namespace anneal {

struct GemmOperand {
  UOp load;                       // the LOAD node
  int slot = 0;                   // its buffer's PARAM slot
  bool affine = false;            // index == offset + sum(strides_k[j] * k_j) + sum(stride[i] * output loop i)
  int64_t offset = 0;
  int64_t stride_k = 0;           // along the first reduction loop
  std::vector<int64_t> strides_k; // per reduction loop
  std::vector<int64_t> stride;    // per output loop
};

// A sum may run over several loops (a convolution's channels and kernel window): ranges_k, outermost
// first, as the unoptimized kernel nests them; k is their product. Staged GPU kernels take one.
struct GemmPlan {
  UOp reduce, range_k;     // range_k: the first of ranges_k
  std::vector<UOp> ranges_k;
  GemmOperand a, b;        // a reads (m, k), b reads (k, n)
  int axis_m = 0, axis_n = 0;
  int64_t m = 0, n = 0, k = 0;
  DType dtype = dtypes::float32;  // of the loads
  bool bare = false;              // the product's factors are the loads themselves (no casts)
};

std::optional<GemmPlan> match_gemm(const ScheduledKernel& kernel);

// The operand can be copied in 16-byte pieces of `vector` elements along its contiguous axis (k, or
// its own output loop `axis`): affine, stride 1 along that axis, and every other stride and the
// offset multiples of `vector`. `k_contiguous` says which axis it is.
struct Staging {
  bool ok = false;
  bool k_contiguous = false;
};
Staging staging_of(const GemmOperand& op, int axis, int64_t vector);

// Whether STAGE(0, tile) applies: float32 loads multiplied as they are, tile 64 or 128 dividing m and
// n, k a multiple of 8, both operands readable as float4.
bool stage_fits(const GemmPlan& plan, int64_t tile);

// The rows of a SIMD tile for m outputs along m: 8, else 6, 5 or 4 when they divide it; 0 if none.
int64_t simd_rows(int64_t m);

// Whether SIMD(0, cols) applies: float32 loads multiplied as they are, simd_rows(m) rows and `cols`
// (16 or 32) columns dividing m and n, any number of reduction loops, both operands affine (B's rows are vector loads, copied into a packed
// panel first when B is not contiguous along n; A is read a scalar at a time and broadcast).
bool simd_fits(const GemmPlan& plan, int64_t cols);

}  // namespace anneal
