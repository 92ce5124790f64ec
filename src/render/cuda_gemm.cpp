// Matmul-shaped kernels on CUDA (codegen/gemm.h): tensor cores (TC) and float32 tiles staged through
// shared memory (STAGE). Each block computes one tile of the (m, n) output; the batch loops come from
// the block index too. The epilogue — the kernel's store with the sum replaced by an accumulator and m, n
// by the accumulator's position — is emitted once inside unrolled loops over a thread's accumulators.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <unordered_map>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "cuda_emitter.h"

namespace anneal {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

// A named kernel-wide variable with bounds [lo, hi] (thread and block positions).
UOp var(const std::string& name, int64_t lo, int64_t hi) { return UOp::variable(name, lo, hi); }

// The 16-byte chunk a row's logical chunk `chunk` is stored at: XOR-swizzled so that the 8 rows an
// ldmatrix (or a column of float4 reads) touches fall in 8 different bank groups. A row of `chunks`
// chunks: 4 chunks (64 bytes) -> two rows share 128 bytes, so rows pair up; 8 or more -> row & 7.
std::string swizzle(const std::string& row, const std::string& chunk, int64_t chunks) {
  if (chunks >= 8) return "((" + chunk + ") ^ ((" + row + ") & 7))";
  return "((" + chunk + ") ^ (((" + row + ") >> 1) & 3))";
}

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

// A and B of a block tile of bm x bn outputs, copied in pieces of `vector` elements.
std::array<StagedOperand, 2> staged_operands(const GemmPlan& p, int64_t bm, int64_t bn, int64_t vector) {
  return {StagedOperand{staging_of(p.a, p.axis_m, vector), &p.a, p.axis_m, bm, "a"},
          StagedOperand{staging_of(p.b, p.axis_n, vector), &p.b, p.axis_n, bn, "b"}};
}

// One mma.sync: accumulators c[0..3] (an lvalue prefix), A registers a0..a3 and B b0, b1 given by
// `a(i)`, `b(i)`.
std::string mma(const std::string& shape, const std::string& kind, const std::string& c,
                const std::function<std::string(int)>& a, const std::function<std::string(int)>& b) {
  return "asm(\"mma.sync.aligned." + shape + ".row.col.f32." + kind +
         ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\" : \"+f\"(" + c + "[0]), \"+f\"(" + c +
         "[1]), \"+f\"(" + c + "[2]), \"+f\"(" + c + "[3]) : \"r\"(" + a(0) + "), \"r\"(" + a(1) + "), \"r\"(" + a(2) +
         "), \"r\"(" + a(3) + "), \"r\"(" + b(0) + "), \"r\"(" + b(1) + "));";
}


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
  line("for (int sh = 0; sh < 2; sh++) {");
  ++indent_;
  gemm_epilogue(p, row0 + tm * 16 + lg + sh * 8, col0 + tn * 8 + lt * 2, 2,
                [](int c) { return "acc[tm][tn][sh * 2 + " + str(c) + "]"; }, true);
  --indent_;
  line("}");
}

// The cp.async ring of the staged tensor-core kernels: `ahead` k-steps are copied before the loop;
// step kt waits for its own copies (this thread's, then everyone's past the barrier) and issues those
// of step kt + ahead into stage (kt + ahead) % stages. Opens the kt loop, which the caller closes.
// `async_proxy`: the tensor cores read shared memory themselves (wgmma), so the copies are fenced into
// their proxy first.
void CudaEmitter::open_copy_ring(int64_t steps, int64_t stages, int64_t ahead, bool async_proxy,
                                 const std::function<void(const std::string& stage, const std::string& kt)>& copy_stage) {
  for (int64_t s = 0; s < ahead; ++s) {
    if (s < steps) copy_stage(str(s), str(s));
    line("anneal_cp_commit();");
  }
  line("for (int kt = 0; kt < " + str(steps) + "; kt++) {");
  ++indent_;
  line("anneal_cp_wait<" + str(ahead - 1) + ">();");
  if (async_proxy) line("asm volatile(\"fence.proxy.async.shared::cta;\" ::: \"memory\");");
  line("__syncthreads();");
  line("if (kt + " + str(ahead) + " < " + str(steps) + ") {");
  ++indent_;
  copy_stage("(kt + " + str(ahead) + ") % " + str(stages), "kt + " + str(ahead));
  --indent_;
  line("}");
  line("anneal_cp_commit();");
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

// TC(0, 0): 4 warps per block in a 2 x 2 arrangement, each warp tm x tn mma tiles of 16 x 8; per
// 16-step of the reduction every lane loads its fragments of A (8 values per tile) and B (4 per tile),
// packs pairs into 32-bit registers, and issues the mmas. Fragment positions follow PTX's m16n8k16
// layout: lane = 4 g + t; A row g (+8), columns 2t (+1, +8); B rows 2t (+1, +8), column g; C row g
// (+8), columns 2t (+1). Index expressions are the kernel's own, with the loops replaced by those
// positions and simplified.
std::string CudaEmitter::run_tensor_core(const GemmPlan& p, int TM, int TN) {
  const UOp& end = k_.ast.src(0);
  const UOp rm = end.src(size_t(p.axis_m) + 1), rn = end.src(size_t(p.axis_n) + 1);
  const int64_t tiles_m = p.m / (32 * TM), tiles_n = p.n / (16 * TN);
  open_signature(128, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  line("const int lane = (int)(threadIdx.x & 31u), warp = (int)(threadIdx.x >> 5);");
  line("const int lg = lane >> 2, lt = lane & 3;");
  gemm_block_position(p, tiles_m, tiles_n);
  line("const int wm = bm * 2 + (warp >> 1), wn = bn * 2 + (warp & 1);");
  const UOp lg = var("lg", 0, 7), lt = var("lt", 0, 3);
  const UOp wm = var("wm", 0, p.m / (16 * TM) - 1), wn = var("wn", 0, p.n / (8 * TN) - 1);
  // tf32 (float32 inputs, ANNEAL_TF32=1): m16n8k8, one element per register, rounded by cvt.rna.
  const bool tf32 = p.dtype == dtypes::float32;
  const int64_t KS = tf32 ? 8 : 16;
  const UOp ko = var("ko", 0, p.k / KS - 1);
  bind(lg, "lg");
  bind(lt, "lt");
  bind(wm, "wm");
  bind(wn, "wn");
  bind(ko, "ko");
  line("float acc[" + str(TM) + "][" + str(TN) + "][4] = {};");
  line("for (int ko = 0; ko < " + str(p.k / KS) + "; ko++) {");
  ++indent_;
  const size_t scope = mark();
  // A register holds two neighbours along the reduction: one 32-bit load when they are adjacent in
  // memory and the pair starts at an even element, else two 16-bit loads.
  auto pair = [&](const std::string& reg, const UOp& load, const std::unordered_map<UOp, UOp>& first,
                  const std::unordered_map<UOp, UOp>& second) {
    const UOp& index = load.src(0);
    const std::string data = "data" + str(index.src(0).arg().as<ParamArg>()->slot);
    const UOp i0 = sym_rewrite(substitute(index.src(1), first)), i1 = sym_rewrite(substitute(index.src(1), second));
    const UOp step = sym_rewrite(i1 - i0), parity = sym_rewrite(i0 % 2);
    if (step.is_const() && step.ival() == 1 && parity.is_const() && parity.ival() == 0)
      return line("const unsigned int " + reg + " = *(const unsigned int*)(" + data + " + " + emit_value(i0) + ");");
    const std::string lo = emit_value(i0), hi = emit_value(i1);
    line("const unsigned int " + reg + " = (unsigned int)" + data + "[" + lo + "] | ((unsigned int)" + data + "[" + hi +
         "] << 16);");
  };
  // tf32 fragments (PTX m16n8k8): A rows g (+8), column t (+4); B row t (+4), column g.
  auto single = [&](const std::string& reg, const UOp& load, const std::unordered_map<UOp, UOp>& at) {
    const UOp& index = load.src(0);
    const std::string data = "data" + str(index.src(0).arg().as<ParamArg>()->slot);
    line("const unsigned int " + reg + " = anneal_tf32(" + data + "[" + emit_value(sym_rewrite(substitute(index.src(1), at))) + "]);");
  };
  if (tf32) {
    for (int tm = 0; tm < TM; ++tm)
      for (int r = 0; r < 4; ++r)
        single("a" + str(tm) + "_" + str(r), p.a.load,
               {{rm, (wm * TM + tm) * 16 + lg + 8 * (r & 1)}, {p.range_k, ko * 8 + lt + 4 * (r >> 1)}});
    for (int tn = 0; tn < TN; ++tn)
      for (int r = 0; r < 2; ++r)
        single("b" + str(tn) + "_" + str(r), p.b.load, {{p.range_k, ko * 8 + lt + 4 * r}, {rn, (wn * TN + tn) * 8 + lg}});
  }
  for (int tm = 0; tm < TM && !tf32; ++tm)
    for (int r = 0; r < 4; ++r) {
      std::unordered_map<UOp, UOp> at[2];
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * r + h;
        at[h] = {{rm, (wm * TM + tm) * 16 + lg + 8 * ((i >> 1) & 1)}, {p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 2)}};
      }
      pair("a" + str(tm) + "_" + str(r), p.a.load, at[0], at[1]);
    }
  for (int tn = 0; tn < TN && !tf32; ++tn)
    for (int r = 0; r < 2; ++r) {
      std::unordered_map<UOp, UOp> at[2];
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * r + h;
        at[h] = {{p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 1)}, {rn, (wn * TN + tn) * 8 + lg}};
      }
      pair("b" + str(tn) + "_" + str(r), p.b.load, at[0], at[1]);
    }
  const std::string kind = tf32 ? "tf32.tf32" : p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16";
  const std::string shape = tf32 ? "m16n8k8" : "m16n8k16";
  for (int tm = 0; tm < TM; ++tm)
    for (int tn = 0; tn < TN; ++tn)
      line(mma(shape, kind, "acc[" + str(tm) + "][" + str(tn) + "]",
               [&](int i) { return "a" + str(tm) + "_" + str(i); }, [&](int i) { return "b" + str(tn) + "_" + str(i); }));
  forget_since(scope);
  --indent_;
  line("}");
  tensor_core_epilogue(p, TM, TN, wm * (TM * 16), wn * (TN * 8));
  out_ << "}\n";
  return out_.str();
}

// TC(0, tile): a block of 2 x 2 warps computes a tile x tile output tile; per k-step of 32, the block
// copies A's tile x 32 and B's 32 x tile pieces into shared memory with cp.async (16 bytes per copy,
// a 4-stage ring so three copies are in flight while the mmas run) and every warp loads its
// fragments with ldmatrix (.trans where the operand is contiguous along m or n rather than k).
// Shared rows are XOR-swizzled in 16-byte chunks so ldmatrix reads are free of bank conflicts.
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
  open_copy_ring(p.k / BK, stages, stages - 1, false, copy_stage);
  line("const unsigned short* ta = sa[kt % " + str(stages) + "];");
  line("const unsigned short* tb = sb[kt % " + str(stages) + "];");
  line("#pragma unroll");
  line("for (int kk = 0; kk < " + str(BK / 16) + "; kk++) {");
  ++indent_;
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
  --indent_;
  line("}");
  --indent_;
  line("}");
  const UOp bm = var("bm", 0, tiles_m - 1), bn = var("bn", 0, tiles_n - 1);
  const UOp wm = var("wm", 0, WM - 1), wn = var("wn", 0, WN - 1);
  bind(wm, "wm");
  bind(wn, "wn");
  tensor_core_epilogue(p, TM, TN, bm * BM + wm * WTM, bn * BN + wn * WTN);
  out_ << "}\n";
  return out_.str();
}

// TC(1, n): two warpgroups (256 threads) per block, each computing 64 x n of the block's 128 x n tile
// with one wgmma.m64nNk16 per 16-step of k, its operands read by the tensor cores straight from
// shared memory. Per k-step of 64 the block copies A's 128 x 64 and B's 64 x n pieces with cp.async
// into a 4-stage ring, in the layout of the descriptors' 128-byte swizzle: 8-row groups (1 KiB) of
// 128-byte rows, 16-byte chunk c of row r stored at chunk c ^ (r & 7). A k-contiguous tile has a row
// of 64 k per m (n); an m- (n-) contiguous one a row of 64 m (n) per k, in 8 KiB blocks of 64 m (n),
// which the instruction reads transposed. The wgmmas run asynchronously: a step's copies are issued
// while the previous step's products finish, and a stage is refilled two steps after it was read.
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
  open_copy_ring(p.k / BK, stages, stages - 2, true, copy_stage);
  line("const unsigned ta = base + (kt % " + str(stages) + ") * " + str(stage_bytes) + ", tb = ta + " + str(a_bytes) + ";");
  line("asm volatile(\"wgmma.fence.sync.aligned;\" ::: \"memory\");");
  line("#pragma unroll");
  line("for (int kk = 0; kk < " + str(BK / 16) + "; kk++) {");
  ++indent_;
  // A k-step of 16 starts 32 bytes into a k-contiguous row, or 16 rows (2 KiB) down an m-contiguous
  // tile; a warpgroup's 64 rows of A are 8 KiB in either layout.
  auto desc = [&](const Staging& s, const std::string& start) {
    return "anneal_wgmma_desc(" + start + " + kk * " + (s.k_contiguous ? "32, 16" : "2048, 8192") + ", 1024)";
  };
  line("const unsigned long long da = " + desc(sa, "ta + wg * 8192") + ", db = " + desc(sb, "tb") + ";");
  line(wgmma(BN, p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16", !sa.k_contiguous, !sb.k_contiguous));
  --indent_;
  line("}");
  line("asm volatile(\"wgmma.commit_group.sync.aligned;\" ::: \"memory\");");
  line("asm volatile(\"wgmma.wait_group.sync.aligned 1;\" ::: \"memory\");");
  --indent_;
  line("}");
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

// STAGE(0, tile): 256 threads as 16 x 16; thread (ty, tx) owns rows g * 64 + ty * 4 + i and columns
// h * 64 + tx * 4 + j of the block's tile (g, h < tile / 64; i, j < 4), so its reads of a shared row
// are float4s and a warp's reads broadcast (A) or cover consecutive addresses (B). Per k-step of 8 the
// block reads A's tile x 8 and B's 8 x tile pieces with float4 loads into registers (the next step's,
// while this step computes) and stores them into the other of two shared buffers, transposed where the
// operand is contiguous along k. Each output accumulates with fmaf in k order: the same bits as the
// unoptimized loop.
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
  line("for (int kt = 0; kt < " + str(KT) + "; kt++) {");
  ++indent_;
  line("const int buf = kt & 1;");
  line("if (kt + 1 < " + str(KT) + ") {");
  ++indent_;
  load("kt + 1");
  --indent_;
  line("}");
  line("#pragma unroll");
  line("for (int k = 0; k < " + str(BK) + "; k++) {");
  ++indent_;
  line("float a[" + str(4 * GM) + "], b[" + str(4 * GN) + "];");
  for (int64_t g = 0; g < GM; ++g)
    line("*(float4*)&a[" + str(4 * g) + "] = *(const float4*)&sa[buf][k][" + str(64 * g) + " + ty * 4];");
  for (int64_t h = 0; h < GN; ++h)
    line("*(float4*)&b[" + str(4 * h) + "] = *(const float4*)&sb[buf][k][" + str(64 * h) + " + tx * 4];");
  line("#pragma unroll");
  line("for (int i = 0; i < " + str(4 * GM) + "; i++)");
  line("#pragma unroll");
  line("for (int j = 0; j < " + str(4 * GN) + "; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);");
  --indent_;
  line("}");
  line("if (kt + 1 < " + str(KT) + ") {");
  ++indent_;
  store("buf ^ 1");
  --indent_;
  line("}");
  line("__syncthreads();");
  --indent_;
  line("}");
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
  line("{");
  ++indent_;
  // Scalar stores: float4 stores measured 29 instead of 46 TFLOP/s (4096, H200).
  for (int c = 0; c < 4; ++c)
    gemm_epilogue(p, bm * BM + g * 64 + ty * 4 + i, bn * BN + h * 64 + tx * 4 + c, 1,
                  [c](int) { return "acc[g * 4 + i][h * 4 + " + str(c) + "]"; }, false);
  --indent_;
  line("}");
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
