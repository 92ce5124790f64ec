// TC(1, n): two warpgroups (256 threads) per block, each computing 64 x n of the block's 128 x n tile
// with one wgmma.m64nNk16 per 16-step of k, its operands read by the tensor cores straight from
// shared memory. Per k-step of 64 the block copies A's 128 x 64 and B's 64 x n pieces with cp.async
// into a 4-stage ring, in the layout of the descriptors' 128-byte swizzle: 8-row groups (1 KiB) of
// 128-byte rows, 16-byte chunk c of row r stored at chunk c ^ (r & 7). A k-contiguous tile has a row
// of 64 k per m (n); an m- (n-) contiguous one a row of 64 m (n) per k, in 8 KiB blocks of 64 m (n),
// which the instruction reads transposed. The wgmmas run asynchronously: a step's copies are issued
// while the previous step's products finish, and a stage is refilled two steps after it was read.
#include <array>
#include <string>
#include <unordered_map>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

namespace {

// One wgmma.m64n{n}k16 (`kind`: "f16.f16" / "bf16.bf16") accumulating into acc[0][j][s] (register
// 4 j + s: PTX's D fragment, the same per 8 columns as mma.sync's C), A and B read through the
// descriptors da and db, transposed where the tile is m- (n-) contiguous.
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
  const int64_t a_bytes = BM * BK * 2, stage_bytes = a_bytes + BN * BK * 2;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 8);
  const Staging &sa = operands[0].staging, &sb = operands[1].staging;
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  if (entry_) {
    entry_->shared_bytes = size_t(stages * stage_bytes + 1024);  // + alignment of the ring to 1 KiB
    entry_->sm90a = true;
  }
  line("extern __shared__ __align__(1024) unsigned char anneal_shared[];");
  line("const unsigned base = (anneal_smem(anneal_shared) + 1023u) & ~1023u;");
  line("const int tid = (int)threadIdx.x, wg = tid >> 7;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  auto copy_stage = [&](const std::string& slot, const std::string& kt) {
    for (const StagedOperand& o : operands) {
      const Staging& s = o.staging;
      const int64_t rows = o.tile;
      const std::string src = "p" + o.name;
      const std::string dst = "base + (" + slot + ") * " + str(stage_bytes) + (o.name == "b" ? " + " + str(a_bytes) : "");
      line("#pragma unroll");
      line("for (int c = 0; c < " + str(rows * BK / 8 / threads) + "; c++) {");
      if (s.k_contiguous) {
        line("  const int idx = tid + c * " + str(threads) + ", row = idx >> 3, ch = idx & 7;");
        line("  anneal_cp16s(" + dst + " + row * 128 + ((ch ^ (row & 7)) << 4), " + src + " + (long long)row * " +
             str(o.stride_along_tile()) + " + (" + kt + ") * " + str(BK) + " + ch * 8);");
      } else {
        line("  const int idx = tid + c * " + str(threads) + ", kr = idx / " + str(rows / 8) + ", mc = idx % " +
             str(rows / 8) + ";");
        line("  anneal_cp16s(" + dst + " + (mc >> 3) * 8192 + kr * 128 + (((mc & 7) ^ (kr & 7)) << 4), " + src +
             " + (long long)((" + kt + ") * " + str(BK) + " + kr) * " + str(o.op->stride_k) + " + mc * 8);");
      }
      line("}");
    }
  };
  line("float acc[1][" + str(BN / 8) + "][4] = {};");
  // The wgmmas of step kt - 1 may still be reading (wait_group 1 below); past the barrier every
  // warpgroup has finished step kt - 2, whose stage the copies refill.
  {
    const Block ring = open_copy_ring(p.k / BK, stages, stages - 2, true, copy_stage);
    line("const unsigned ta = base + (kt % " + str(stages) + ") * " + str(stage_bytes) + ", tb = ta + " + str(a_bytes) + ";");
    line("asm volatile(\"wgmma.fence.sync.aligned;\" ::: \"memory\");");
    line("#pragma unroll");
    {
      const Block k16 = block("for (int kk = 0; kk < " + str(BK / 16) + "; kk++) {");
      // A k-step of 16 starts 32 bytes into a k-contiguous row, or 16 rows (2 KiB) down an m-contiguous
      // tile; a warpgroup's 64 rows of A are 8 KiB in either layout.
      auto desc = [&](const Staging& s, const std::string& start) {
        return "anneal_wgmma_desc(" + start + " + kk * " + (s.k_contiguous ? "32, 16" : "2048, 8192") + ", 1024)";
      };
      line("const unsigned long long da = " + desc(sa, "ta + wg * 8192") + ", db = " + desc(sb, "tb") + ";");
      line(wgmma(BN, p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16", !sa.k_contiguous, !sb.k_contiguous));
    }
    line("asm volatile(\"wgmma.commit_group.sync.aligned;\" ::: \"memory\");");
    line("asm volatile(\"wgmma.wait_group.sync.aligned 1;\" ::: \"memory\");");
  }
  line("asm volatile(\"wgmma.wait_group.sync.aligned 0;\" ::: \"memory\");");
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
