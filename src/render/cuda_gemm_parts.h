// Pieces shared by the CUDA matmul forms (internal to src/render; cuda_gemm.cpp and the four
// cuda_*.cpp kernels): names, staged operands and the mma.sync instruction.
#pragma once
#include <array>
#include <functional>
#include <string>

#include "anneal/codegen/gemm.h"
#include "anneal/uop/uop.h"

namespace anneal::cuda_gemm {


inline std::string str(int64_t v) { return std::to_string(v); }

// A named kernel-wide variable with bounds [lo, hi] (thread and block positions).
inline UOp var(const std::string& name, int64_t lo, int64_t hi) { return UOp::variable(name, lo, hi); }

// One operand of a staged tile, as the copy loops see it: its layout (`staging`), strides, the output
// loop it tiles, the tile's extent along that loop, and the letter of its names (pa / sa / ra...).
struct StagedOperand {
  Staging staging;
  const GemmOperand* op;
  int axis;
  int64_t tile;
  std::string name;
  int64_t stride_along_tile() const { return op->stride[size_t(axis)]; }
};

// The instantiation `name<tile, k-contiguous, row stride>` of a tensor-core template's operand
// (gemm/mma_staged.cuh, gemm/wgmma.cuh): its shared tile holds rows of m (n) along k where the
// operand is k-contiguous, else rows of k; the row stride is the operand's in memory between those.
inline std::string tensor_core_operand(const std::string& name, const StagedOperand& o) {
  const bool k_contiguous = o.staging.k_contiguous;
  return name + "<" + str(o.tile) + ", " + (k_contiguous ? "true" : "false") + ", " +
         str(k_contiguous ? o.stride_along_tile() : o.op->stride_k) + "LL>";
}

// A and B of a block tile of bm x bn outputs, copied in pieces of `vector` elements.
inline std::array<StagedOperand, 2> staged_operands(const GemmPlan& p, int64_t bm, int64_t bn, int64_t vector) {
  return {StagedOperand{staging_of(p.a, p.axis_m, vector), &p.a, p.axis_m, bm, "a"},
          StagedOperand{staging_of(p.b, p.axis_n, vector), &p.b, p.axis_n, bn, "b"}};
}

// One mma.sync: accumulators c[0..3] (an lvalue prefix), A registers a0..a3 and B b0, b1 given by
// `a(i)`, `b(i)`.
inline std::string mma(const std::string& shape, const std::string& kind, const std::string& c,
                const std::function<std::string(int)>& a, const std::function<std::string(int)>& b) {
  return "asm(\"mma.sync.aligned." + shape + ".row.col.f32." + kind +
         ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\" : \"+f\"(" + c + "[0]), \"+f\"(" + c +
         "[1]), \"+f\"(" + c + "[2]), \"+f\"(" + c + "[3]) : \"r\"(" + a(0) + "), \"r\"(" + a(1) + "), \"r\"(" + a(2) +
         "), \"r\"(" + a(3) + "), \"r\"(" + b(0) + "), \"r\"(" + b(1) + "));";
}

}  // namespace anneal::cuda_gemm
