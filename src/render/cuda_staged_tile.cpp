// STAGE(0, tile): 256 threads as 16 x 16; thread (ty, tx) owns rows g * 64 + ty * 4 + i and columns
// h * 64 + tx * 4 + j of the block's tile (g, h < tile / 64; i, j < 4), so its reads of a shared row
// are float4s and a warp's reads broadcast (A) or cover consecutive addresses (B). Per k-step of 8 the
// block reads A's tile x 8 and B's 8 x tile pieces with float4 loads into registers (the next step's,
// while this step computes) and stores them into the other of two shared buffers, transposed where the
// operand is contiguous along k. Each output accumulates with fmaf in k order: the same bits as the
// unoptimized loop.
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

std::string CudaEmitter::run_staged(const GemmPlan& p, int64_t block_tile) {
  const int64_t BM = block_tile, BN = block_tile, BK = 8, threads = 256, GM = BM / 64, GN = BN / 64;
  const int64_t tiles_m = p.m / BM, tiles_n = p.n / BN;
  const std::array<StagedOperand, 2> operands = staged_operands(p, BM, BN, 4);
  open_signature(threads, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  line("__shared__ __align__(16) float sa[2][" + str(BK) + "][" + str(BM) + "];");
  line("__shared__ __align__(16) float sb[2][" + str(BK) + "][" + str(BN) + "];");
  line("const int tid = (int)threadIdx.x, tx = tid & 15, ty = tid >> 4;");
  gemm_block_position(p, tiles_m, tiles_n);
  declare_tile_pointers(p, BM, BN);
  const int64_t per_a = (BM * BK / 4 + threads - 1) / threads, per_b = (BN * BK / 4 + threads - 1) / threads;
  line("float4 ra[" + str(per_a) + "], rb[" + str(per_b) + "];");
  // Register loads of k-step kt, and their stores into shared buffer `buf`.
  auto pieces = [&](const StagedOperand& o, const std::function<void(const std::string& guard, int64_t c)>& body) {
    const int64_t total = o.tile * BK / 4, per = o.name == "b" ? per_b : per_a;
    for (int64_t c = 0; c < per; ++c) {
      const std::string idx = "(tid + " + str(c * threads) + ")";
      body(total < (c + 1) * threads ? "if (" + idx + " < " + str(total) + ") " : "", c);
    }
  };
  auto load = [&](const std::string& kt) {
    for (const StagedOperand& o : operands) {
      const int64_t tile = o.tile;
      const std::string reg = "r" + o.name, src = "p" + o.name;
      pieces(o, [&](const std::string& guard, int64_t c) {
        const std::string idx = "(tid + " + str(c * threads) + ")";
        // k-contiguous: piece = (row of the tile, 4 consecutive k); else (k, 4 consecutive rows).
        const std::string at = o.staging.k_contiguous
            ? "(long long)(" + idx + " >> 1) * " + str(o.stride_along_tile()) + " + (" + kt + ") * " + str(BK) + " + (" + idx + " & 1) * 4"
            : "(long long)((" + kt + ") * " + str(BK) + " + " + idx + " / " + str(tile / 4) + ") * " + str(o.op->stride_k) + " + (" + idx + " % " + str(tile / 4) + ") * 4";
        line(guard + reg + "[" + str(c) + "] = *(const float4*)(" + src + " + " + at + ");");
      });
    }
  };
  auto store = [&](const std::string& buf) {
    for (const StagedOperand& o : operands) {
      const int64_t tile = o.tile;
      const std::string reg = "r" + o.name, dst = "s" + o.name;
      pieces(o, [&](const std::string& guard, int64_t c) {
        const std::string idx = "(tid + " + str(c * threads) + ")", r = reg + "[" + str(c) + "]";
        if (o.staging.k_contiguous) {
          const std::string row = idx + " >> 1", k0 = "(" + idx + " & 1) * 4";
          line(guard + "{ float* d = &" + dst + "[" + buf + "][" + k0 + "][" + row + "]; d[0] = " + r + ".x; d[" +
               str(tile) + "] = " + r + ".y; d[" + str(2 * tile) + "] = " + r + ".z; d[" + str(3 * tile) + "] = " + r + ".w; }");
        } else {
          line(guard + "*(float4*)&" + dst + "[" + buf + "][" + idx + " / " + str(tile / 4) + "][(" + idx + " % " +
               str(tile / 4) + ") * 4] = " + r + ";");
        }
      });
    }
  };
  const int64_t KT = p.k / BK;
  line("float acc[" + str(4 * GM) + "][" + str(4 * GN) + "] = {};");
  load("0");
  store("0");
  line("__syncthreads();");
  {
    const Block k_steps = block("for (int kt = 0; kt < " + str(KT) + "; kt++) {");
    line("const int buf = kt & 1;");
    {
      const Block next = block("if (kt + 1 < " + str(KT) + ") {");
      load("kt + 1");
    }
    line("#pragma unroll");
    {
      const Block k8 = block("for (int k = 0; k < " + str(BK) + "; k++) {");
      line("float a[" + str(4 * GM) + "], b[" + str(4 * GN) + "];");
      for (int64_t g = 0; g < GM; ++g)
        line("*(float4*)&a[" + str(4 * g) + "] = *(const float4*)&sa[buf][k][" + str(64 * g) + " + ty * 4];");
      for (int64_t h = 0; h < GN; ++h)
        line("*(float4*)&b[" + str(4 * h) + "] = *(const float4*)&sb[buf][k][" + str(64 * h) + " + tx * 4];");
      line("#pragma unroll");
      line("for (int i = 0; i < " + str(4 * GM) + "; i++)");
      line("#pragma unroll");
      line("for (int j = 0; j < " + str(4 * GN) + "; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);");
    }
    {
      const Block next = block("if (kt + 1 < " + str(KT) + ") {");
      store("buf ^ 1");
    }
    line("__syncthreads();");
  }
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
