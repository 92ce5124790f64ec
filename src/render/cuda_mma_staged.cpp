// TC(0, tile): a block of 2 x 2 warps computes a tile x tile output tile; per k-step of 32, the block
// copies A's tile x 32 and B's 32 x tile pieces into shared memory with cp.async (16 bytes per copy,
// a 4-stage ring so three copies are in flight while the mmas run) and every warp loads its
// fragments with ldmatrix (.trans where the operand is contiguous along m or n rather than k).
// Shared rows are XOR-swizzled in 16-byte chunks so ldmatrix reads are free of bank conflicts.
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

std::string CudaEmitter::run_staged_tensor_core(const GemmPlan& p, int64_t block_tile) {
  // 2 x 2 warps, each a (tile/2)^2 piece, 4 stages of k-steps of 32 in flight: the best of the
  // arrangements measured for a 4096 fp16 matmul on an H200 (2 x 4 warps of 64 x 32, 128 x 256
  // tiles, 3 or 5 stages and k-steps of 64 were 5-25% slower).
  const int64_t BM = block_tile, BN = block_tile, BK = 32, stages = 4, WM = 2, WN = 2, threads = WM * WN * 32;
  const int64_t WTM = BM / WM, WTN = BN / WN, TM = WTM / 16, TN = WTN / 8;
  const int64_t tiles_m = p.m / BM, tiles_n = p.n / BN;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 8);
  const Staging &sa = operands[0].staging, &sb = operands[1].staging;
  check(sa.ok && sb.ok && p.m % BM == 0 && p.n % BN == 0 && p.k % BK == 0,
        "CUDA renderer: kernel " + k_.name + " cannot stage its tensor-core tiles");
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  // Dynamic shared memory (a 3- or 4-stage ring of 128-row tiles exceeds the 48 KiB of static).
  if (entry_) entry_->shared_bytes = size_t(stages * (BM + BN) * BK * 2);
  // Shared layout per stage: rows along the operand's non-contiguous axis, each row 8-element chunks.
  const int64_t a_row = sa.k_contiguous ? BK : BM, b_row = sb.k_contiguous ? BK : BN;
  line("extern __shared__ __align__(128) unsigned short anneal_shared[];");
  line("unsigned short (*sa)[" + str(BM * BK) + "] = (unsigned short (*)[" + str(BM * BK) + "])anneal_shared;");
  line("unsigned short (*sb)[" + str(BN * BK) + "] = (unsigned short (*)[" + str(BN * BK) + "])(anneal_shared + " +
       str(stages * BM * BK) + ");");
  line("const int tid = (int)threadIdx.x, lane = tid & 31, warp = tid >> 5;");
  line("const int wm = warp / " + str(WN) + ", wn = warp % " + str(WN) + ", lg = lane >> 2, lt = lane & 3;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  // One stage's copies: chunk c of the tile is row c / chunks, chunk c % chunks of that row.
  auto copy_stage = [&](const std::string& stage, const std::string& kt) {
    for (const StagedOperand& o : operands) {
      const Staging& s = o.staging;
      const int64_t row_len = s.k_contiguous ? BK : o.tile, chunks = row_len / 8;
      const int64_t per_thread = o.tile * BK / 8 / threads;
      const std::string src = "p" + o.name, dst = "s" + o.name;
      // K-contiguous: rows are m (n), the row's columns k; otherwise rows are k, columns m (n).
      const std::string row_stride = str(s.k_contiguous ? o.stride_along_tile() : o.op->stride_k);
      const std::string row_base = s.k_contiguous ? "" : "(" + kt + ") * " + str(BK) + " + ";
      const std::string col_base = s.k_contiguous ? "(" + kt + ") * " + str(BK) + " + " : "";
      line("#pragma unroll");
      line("for (int c = 0; c < " + str(per_thread) + "; c++) {");
      line("  const int idx = tid + c * " + str(threads) + ", row = idx / " + str(chunks) + ", ch = idx % " + str(chunks) + ";");
      line("  anneal_cp16(&" + dst + "[" + stage + "][row * " + str(row_len) + " + (" + swizzle("row", "ch", chunks) +
           " << 3)], " + src + " + (long long)(" + row_base + "row) * " + row_stride + " + " + col_base + "ch * 8);");
      line("}");
    }
  };
  line("float acc[" + str(TM) + "][" + str(TN) + "][4] = {};");
  // The warps read their fragments with ldmatrix, synchronously: stage kt - 1 is free past the barrier.
  {
    const Block ring = open_copy_ring(p.k / BK, stages, stages - 1, false, copy_stage);
    line("const unsigned short* ta = sa[kt % " + str(stages) + "];");
    line("const unsigned short* tb = sb[kt % " + str(stages) + "];");
    line("#pragma unroll");
    const Block k16 = block("for (int kk = 0; kk < " + str(BK / 16) + "; kk++) {");
    line("unsigned a[" + str(TM) + "][4], b[" + str(TN) + "][2];");
    line("const int j = lane >> 3, r = lane & 7;");
    // ldmatrix.x4: lanes 8j..8j+7 give the rows of matrix j. A's four matrices are (rows 0-7 | 8-15) x
    // (k 0-7 | 8-15), row half j & 1; B's cover two n-tiles, (n 0-7 | 8-15) x (k 0-7 | 8-15), n half j >> 1.
    // `start`: the first m (n) of the fragment; a k-contiguous tile stores rows of m (n) and is read as is,
    // else rows of k read transposed.
    auto fragments = [&](const Staging& s, int64_t row_len, const std::string& tile, const std::string& loop,
                         const std::string& start, const std::string& mn_half, const std::string& k_half,
                         const std::string& dst) {
      line("#pragma unroll");
      line(loop + " {");
      if (s.k_contiguous) line("  const int row = " + start + " + " + mn_half + " * 8 + r, ch = kk * 2 + " + k_half + ";");
      else line("  const int row = kk * 16 + " + k_half + " * 8 + r, ch = (" + start + " + " + mn_half + " * 8) >> 3;");
      line("  anneal_ldsm4" + std::string(s.k_contiguous ? "" : "t") + "(" + dst + ", &" + tile + "[row * " + str(row_len) +
           " + (" + swizzle("row", "ch", row_len / 8) + " << 3)]);");
      line("}");
    };
    fragments(sa, a_row, "ta", "for (int tm = 0; tm < " + str(TM) + "; tm++)", "wm * " + str(WTM) + " + tm * 16", "(j & 1)",
              "(j >> 1)", "a[tm]");
    fragments(sb, b_row, "tb", "for (int tn = 0; tn < " + str(TN) + "; tn += 2)", "wn * " + str(WTN) + " + tn * 8", "(j >> 1)",
              "(j & 1)", "&b[tn][0]");
    const std::string kind = p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16";
    line("#pragma unroll");
    line("for (int tm = 0; tm < " + str(TM) + "; tm++)");
    line("#pragma unroll");
    line("for (int tn = 0; tn < " + str(TN) + "; tn++)");
    line("  " + mma("m16n8k16", kind, "acc[tm][tn]", [](int i) { return "a[tm][" + str(i) + "]"; },
                    [](int i) { return "b[tn][" + str(i) + "]"; }));
  }
  const UOp bm = var("bm", 0, tiles_m - 1), bn = var("bn", 0, tiles_n - 1);
  const UOp wm = var("wm", 0, WM - 1), wn = var("wn", 0, WN - 1);
  bind(wm, "wm");
  bind(wn, "wn");
  tensor_core_epilogue(p, TM, TN, bm * BM + wm * WTM, bn * BN + wn * WTN);
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
