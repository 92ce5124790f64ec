// TC(1, n): the kernel around the main loop of gemm/wgmma.cuh (a template in the CUDA prelude,
// described there): the wgmma instruction of this tile width and dtype (its register list spelled out,
// which a template cannot do), the block's tile position and operand pointers, the instantiation, and
// the epilogue from the kernel's IR.
#include <array>
#include <string>

#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

namespace {

// One wgmma.m64n{n}k16 (`kind`: "f16.f16" / "bf16.bf16") accumulating into acc[0][j][s] (register
// 4 j + s: PTX's D fragment, the same per 8 columns as mma.sync's C), A and B read through the
// descriptors da and db, transposed where the tile is m- (n-) contiguous: the body of the `run` that
// gemm/wgmma.cuh calls.
std::string wgmma(int64_t n, const std::string& kind, bool trans_a, bool trans_b) {
  const int64_t regs = n / 2;
  std::string s = "asm volatile(\"{ .reg .pred p; setp.ne.b32 p, 1, 0; wgmma.mma_async.sync.aligned.m64n" + str(n) +
                  "k16.f32." + kind + " {";
  for (int64_t i = 0; i < regs; ++i) s += (i ? "," : "") + ("%" + str(i));
  s += "}, %" + str(regs) + ", %" + str(regs + 1) + ", p, 1, 1, " + (trans_a ? "1" : "0") + ", " + (trans_b ? "1" : "0") +
       "; }\" : ";
  for (int64_t i = 0; i < regs; ++i) s += (i ? ", " : "") + ("\"+f\"(acc[0][" + str(i / 4) + "][" + str(i % 4) + "])");
  return s + " : \"l\"(da), \"l\"(db));";
}

}  // namespace

std::string CudaEmitter::run_warpgroup_tensor_core(const GemmPlan& p, int64_t n) {
  const int64_t BM = 128, BN = n, BK = 64, stages = 4, threads = 256;
  const int64_t tiles_m = p.m / BM, tiles_n = p.n / BN;
  const int64_t stage_bytes = BM * BK * 2 + BN * BK * 2;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 8);
  const Staging &sa = operands[0].staging, &sb = operands[1].staging;
  // The instruction, at module scope before the kernel.
  const std::string mma = k_.name + "_wgmma";
  out_ << "struct " << mma << " {\n  static __device__ __forceinline__ void run(float (&acc)[1][" << BN / 8
       << "][4], unsigned long long da, unsigned long long db) {\n    "
       << wgmma(BN, p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16", !sa.k_contiguous, !sb.k_contiguous) << "\n  }\n};\n";
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  if (entry_) {
    entry_->shared_bytes = size_t(stages * stage_bytes + 1024);  // + alignment of the ring to 1 KiB
    entry_->sm90a = true;
  }
  line("const int tid = (int)threadIdx.x, wg = tid >> 7;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  line("float acc[1][" + str(BN / 8) + "][4] = {};");
  line("anneal_wgmma_tile<" + str(BN) + ", " + str(p.k / BK) + ", " + tensor_core_operand("anneal_wgmma_operand", operands[0]) +
       ", " + tensor_core_operand("anneal_wgmma_operand", operands[1]) + ", " + mma + ">(pa, pb, acc);");
  line("const int lane = tid & 31, lg = lane >> 2, lt = lane & 3, ww = (tid >> 5) & 3;");
  const UOp bm = var("bm", 0, tiles_m - 1), bn = var("bn", 0, tiles_n - 1);
  const UOp wg = var("wg", 0, 1), ww = var("ww", 0, 3);
  bind(wg, "wg");
  bind(ww, "ww");
  tensor_core_epilogue(p, 1, BN / 8, bm * BM + wg * 64 + ww * 16, bn * BN);
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
