// STAGE(0, tile): the kernel around the main loop of gemm/staged_tile.cuh (a template in the CUDA
// prelude, described there): the block's tile position and operand pointers, the instantiation with
// this matmul's tile and operand layouts, and the epilogue from the kernel's IR.
#include <array>
#include <string>

#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

std::string CudaEmitter::run_staged(const GemmPlan& p, int64_t block_tile) {
  const int64_t BM = block_tile, BN = block_tile, BK = 8, threads = 256, GM = BM / 64, GN = BN / 64;
  const int64_t tiles_m = p.m / BM, tiles_n = p.n / BN;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 4);
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  line("const int tid = (int)threadIdx.x, tx = tid & 15, ty = tid >> 4;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  auto operand = [](const StagedOperand& o) {
    return "anneal_stage_operand<" + str(o.tile) + ", " + (o.staging.k_contiguous ? "true" : "false") + ", " +
           str(o.stride_along_tile()) + "LL, " + str(o.op->stride_k) + "LL>";
  };
  line("float acc[" + str(4 * GM) + "][" + str(4 * GN) + "] = {};");
  line("anneal_staged_tile<" + str(BM) + ", " + str(BN) + ", " + str(p.k / BK) + ", " + operand(operands[0]) + ", " +
       operand(operands[1]) + ">(pa, pb, acc);");
  const UOp bm = var("bm", 0, tiles_m - 1), bn = var("bn", 0, tiles_n - 1);
  const UOp tx = var("tx", 0, 15), ty = var("ty", 0, 15);
  const UOp g = var("g", 0, GM - 1), i = var("i", 0, 3), h = var("h", 0, GN - 1);
  const std::pair<UOp, const char*> names[] = {{tx, "tx"}, {ty, "ty"}, {g, "g"}, {i, "i"}, {h, "h"}};
  for (const auto& [u, name] : names) bind(u, name);
  line("#pragma unroll");
  line("for (int g = 0; g < " + str(GM) + "; g++)");
  line("#pragma unroll");
  line("for (int i = 0; i < 4; i++)");
  line("#pragma unroll");
  line("for (int h = 0; h < " + str(GN) + "; h++)");
  {
    const Block outputs = block("{");
    // Scalar stores: float4 stores measured 29 instead of 46 TFLOP/s (4096, H200).
    for (int c = 0; c < 4; ++c)
      gemm_epilogue(p, bm * BM + g * 64 + ty * 4 + i, bn * BN + h * 64 + tx * 4 + c, 1,
                    [c](int) { return "acc[g * 4 + i][h * 4 + " + str(c) + "]"; }, false);
  }
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
