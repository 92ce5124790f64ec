// Matmul-shaped kernels on CUDA (codegen/gemm.h): tensor cores (TC) and float32 tiles staged through
// shared memory (STAGE). Each block computes one tile of the (m, n) output; the batch loops come from
// the block index too. The epilogue — the kernel's store with the sum replaced by an accumulator and m, n
// by the accumulator's position — is emitted once inside unrolled loops over a thread's accumulators.
// This file holds what the forms share; each form is a file of its own (cuda_mma.cpp, cuda_mma_staged.cpp,
// cuda_wgmma.cpp, cuda_staged_tile.cpp), the staged ones instantiating main-loop templates
// (src/render/gemm/*.cuh, in the CUDA prelude).
#include <functional>
#include <string>

#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

// The accumulators of a warp's TM x TN mma tiles, acc[tm][tn][4]: tile (tm, tn) element s sits at row
// row0 + 16 tm + g + 8 (s / 2), column col0 + 8 tn + 2 t + s % 2 (PTX's C fragment, lane = 4 g + t).
void CudaEmitter::tensor_core_epilogue(const GemmPlan& p, int64_t TM, int64_t TN, const UOp& row0, const UOp& col0) {
  const UOp lg = var("lg", 0, 7), lt = var("lt", 0, 3);
  const UOp tm = var("tm", 0, TM - 1), tn = var("tn", 0, TN - 1), sh = var("sh", 0, 1);
  const std::pair<UOp, const char*> names[] = {{lg, "lg"}, {lt, "lt"}, {tm, "tm"}, {tn, "tn"}, {sh, "sh"}};
  for (const auto& [u, name] : names) bind(u, name);
  line("#pragma unroll");
  line("for (int tm = 0; tm < " + str(TM) + "; tm++)");
  line("#pragma unroll");
  line("for (int tn = 0; tn < " + str(TN) + "; tn++)");
  line("#pragma unroll");
  const Block halves = block("for (int sh = 0; sh < 2; sh++) {");
  gemm_epilogue(p, row0 + tm * 16 + lg + sh * 8, col0 + tn * 8 + lt * 2, 2,
                [](int c) { return "acc[tm][tn][sh * 2 + " + str(c) + "]"; }, true);
}

// bm, bn: the block's output tile; batch loops from the block index above them. Tiles are walked in
// groups of 8 rows of tiles (when the rows divide), so the blocks resident together read few distinct
// tiles of A and B and L2 serves the rest.
void CudaEmitter::gemm_block_position(const GemmPlan& p, int64_t tiles_m, int64_t tiles_n) {
  const UOp& end = k_.ast.src(0);
  line("const int bid = (int)blockIdx.x;");
  if (tiles_m % 8 == 0 && tiles_n > 1) {
    line("const int tile = bid % " + str(tiles_m * tiles_n) + ";");
    line("const int bm = tile / " + str(8 * tiles_n) + " * 8 + tile % 8, bn = tile / 8 % " + str(tiles_n) + ";");
  } else {
    line("const int bm = bid / " + str(tiles_n) + " % " + str(tiles_m) + ", bn = bid % " + str(tiles_n) + ";");
  }
  bind(var("bm", 0, tiles_m - 1), "bm");
  bind(var("bn", 0, tiles_n - 1), "bn");
  int64_t stride = tiles_m * tiles_n;
  for (size_t i = end.num_srcs(); i-- > 1;) {
    if (int(i) - 1 == p.axis_m || int(i) - 1 == p.axis_n) continue;
    const int64_t n = end.src(i).src(0).ival();
    declare_range(end.src(i), "(bid / " + str(stride) + ") % " + str(n));
    stride *= n;
  }
}

}  // namespace anneal
