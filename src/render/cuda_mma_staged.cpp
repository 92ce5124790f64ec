// TC(0, tile): the kernel around the main loop of gemm/mma_staged.cuh (a template in the CUDA prelude,
// described there): the block's tile position and operand pointers, the instantiation with this
// matmul's tile, dtype and operand layouts, and the epilogue from the kernel's IR.
#include <array>
#include <string>

#include "anneal/support/error.h"
#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

std::string CudaEmitter::run_staged_tensor_core(const GemmPlan& p, int64_t block_tile) {
  const int64_t BM = block_tile, BN = block_tile, BK = 32, stages = 4, WM = 2, WN = 2, threads = WM * WN * 32;
  const int64_t WTM = BM / WM, WTN = BN / WN, TM = WTM / 16, TN = WTN / 8;
  const int64_t tiles_m = p.m / BM, tiles_n = p.n / BN;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 8);
  check(operands[0].staging.ok && operands[1].staging.ok && p.m % BM == 0 && p.n % BN == 0 && p.k % BK == 0,
        "CUDA renderer: kernel " + k_.name + " cannot stage its tensor-core tiles");
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  // Dynamic shared memory (a 3- or 4-stage ring of 128-row tiles exceeds the 48 KiB of static).
  if (entry_) entry_->shared_bytes = size_t(stages * (BM + BN) * BK * 2);
  line("const int tid = (int)threadIdx.x, lane = tid & 31, warp = tid >> 5;");
  line("const int wm = warp / " + str(WN) + ", wn = warp % " + str(WN) + ", lg = lane >> 2, lt = lane & 3;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  line("float acc[" + str(TM) + "][" + str(TN) + "][4] = {};");
  line("anneal_mma_staged<" + str(BM) + ", " + str(p.k / BK) + ", " + (p.dtype == dtypes::bfloat16 ? "true" : "false") + ", " +
       tensor_core_operand("anneal_tc_operand", operands[0]) + ", " + tensor_core_operand("anneal_tc_operand", operands[1]) +
       ">(pa, pb, acc);");
  const UOp bm = var("bm", 0, tiles_m - 1), bn = var("bn", 0, tiles_n - 1);
  const UOp wm = var("wm", 0, WM - 1), wn = var("wn", 0, WN - 1);
  bind(wm, "wm");
  bind(wn, "wn");
  tensor_core_epilogue(p, TM, TN, bm * BM + wm * WTM, bn * BN + wn * WTN);
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
