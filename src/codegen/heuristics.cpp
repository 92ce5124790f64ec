// Hand-coded opts (tinygrad's hand_coded_optimizations, much reduced), first match wins:
// - GPU, few outputs with long reductions: GROUP (a block shares each output's sums);
// - GPU, float16/bfloat16 matmuls: TC (wgmma on compute 9.0), staged through shared memory where the
//   layout allows;
// - GPU, float32 matmuls with tile-sized loops: STAGE; CPU, float32 matmuls: SIMD;
// - otherwise register tiles (UPCAST, and LOCAL on GPUs) for kernels whose reductions read some input
//   independently of an output loop — the data reuse that makes a tile pay (convolutions and their
//   gradients, odd-sized matmuls).
// Elementwise kernels are left alone: the C compiler vectorizes their inner loop and on GPUs they are
// memory bound.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>

#include "anneal/codegen/gemm.h"
#include "anneal/codegen/opt.h"
#include "anneal/codegen/tensor_core.h"
#include "anneal/support/settings.h"
#include "anneal/uop/axis.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

bool env_off(const char* name) { return !settings::get_bool(name); }

// Blocks a staged kernel must have to give every SM of an H100/H200 one.
constexpr int64_t kMinStagedBlocks = 132;

// The largest staging tile (128, else 64) that `fits` and still gives every SM a block.
int64_t staging_tile(const GemmPlan& p, int64_t outputs, bool (*fits)(const GemmPlan&, int64_t)) {
  for (int64_t tile : {128, 64})
    if (fits(p, tile) && outputs / (tile * tile) >= kMinStagedBlocks) return tile;
  return 0;
}

// Tensor cores: on compute 9.0 warpgroup MMA in 128 x 256 (else 128 x 128) tiles while that gives
// every SM a block; else mma.sync, staged where it fits.
Opt tensor_core_opt(const TensorCorePlan& p, int64_t outputs, const Target& target, bool staging) {
  if (staging && target.warpgroup_mma)
    for (int64_t n : {256, 128})
      if (warpgroup_fits(p, n) && outputs / (128 * n) >= kMinStagedBlocks) return {OptOp::TensorCore, 1, n};
  return {OptOp::TensorCore, 0, staging ? staging_tile(p, outputs, tensor_core_stages) : 0};
}

// Loads inside reductions, and for each the output loops its index depends on.
struct ReuseInfo {
  bool has_reduce = false;
  std::vector<bool> reused;  // per output loop: some load in a reduction does not depend on it
};

ReuseInfo reuse_of(const ScheduledKernel& k) {
  const UOp& end = k.ast.src(0);
  ReuseInfo info;
  info.reused.assign(end.num_srcs() - 1, false);
  for (const UOp& r : toposort(end.src(0))) {
    if (!r.is(Ops::REDUCE) || *r.arg().as_int() != int64_t(Ops::ADD)) continue;
    info.has_reduce = true;
    for (const UOp& load : toposort(r.src(0))) {
      if (!load.is(Ops::LOAD)) continue;
      std::unordered_set<const void*> uses;
      for (const UOp& u : toposort(load.src(0)))
        if (u.is(Ops::RANGE)) uses.insert(u.get());
      for (size_t i = 1; i < end.num_srcs(); ++i)
        if (!uses.count(end.src(i).get())) info.reused[i - 1] = true;
    }
  }
  return info;
}

// Upcasts for a register tile: `cols` along the innermost output loop with reuse (the contiguous one,
// a SIMD vector on the CPU), `rows` along the next, within `budget` accumulators.
std::vector<Opt> register_tile(const ScheduledKernel& k, const ReuseInfo& reuse, int64_t cols, int64_t rows, int64_t budget) {
  std::vector<Opt> opts;
  const UOp& end = k.ast.src(0);
  for (int i = int(end.num_srcs()) - 1; i-- > 0 && opts.size() < 2;) {
    if (!reuse.reused[size_t(i)]) continue;
    // A symbolic loop takes a gated tail (opt.h): any amount up to its largest size.
    const std::optional<int64_t> size = const_range_size(end.src(size_t(i) + 1));
    const int64_t n = size ? *size : int64_t(end.src(size_t(i) + 1).src(0).vmax());
    int64_t amount = opts.empty() ? cols : rows;
    while (amount > 1 && ((size && n % amount != 0) || n < amount)) amount /= 2;
    if (amount <= 1 || amount > budget) continue;
    opts.push_back({OptOp::Upcast, i, amount});
    budget /= amount;
  }
  return opts;
}

}  // namespace

std::vector<Opt> hand_coded_opts(const ScheduledKernel& k, const Target& target) {
  std::vector<Opt> opts;
  if (env_off("ANNEAL_OPT")) return opts;
  const UOp& end = k.ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  const bool gpu = target.gpu;
  const bool symbolic = has_symbolic_loop(k.ast);
  if (symbolic && !gpu) {
    // One kernel serves every value of its variables: a symbolic loop takes a gated tail (opt.h), the
    // SIMD tile a symbolic reduction. (GPUs: the tiles below, LOCAL on constant loops only.)
    if (loops == 0) return opts;
    // A matmul over a symbolic reduction (a weight gradient summed over the batch): the SIMD tile.
    if (target.matmul_forms && !env_off("ANNEAL_SIMD"))
      if (const std::optional<GemmPlan> g = match_gemm(k))
        for (int64_t cols : {32, 16})
          if (simd_fits(*g, cols)) return {{OptOp::Simd, 0, cols}};
    const ReuseInfo reuse = reuse_of(k);
    return reuse.has_reduce ? register_tile(k, reuse, 32, 8, 256) : opts;
  }
  int64_t outputs = 1;  // (the most, for symbolic loops)
  for (int i = 0; i < loops; ++i) outputs *= int64_t(end.src(size_t(i) + 1).src(0).vmax());
  // Few outputs with long reductions on a GPU (a loss, a norm, softmax statistics): a block per
  // output whose threads share the reduction; one thread per output would leave the GPU idle and run
  // each reduction serially. (A tensor-core matmul with few outputs still prefers its tiles.)
  const bool forms = target.matmul_forms;
  const std::optional<TensorCorePlan> tc = gpu && forms && !env_off("ANNEAL_TC") ? match_tensor_core(k) : std::nullopt;
  // (Symbolic outputs count at their most: a block per output, blocks past the bound count return.)
  // Many outputs with long sums that are not matmuls (attention's softmax statistics: 12 x 1024 rows of
  // 1024) take a block each too: one thread per row would walk its row serially, its neighbours reading
  // 4 KB apart, where a block's threads read the row together.
  const bool long_rows = gpu && !tc && outputs <= 131072 && !match_gemm(k);
  if (gpu && !tc && (outputs <= 8192 || long_rows)) {
    int64_t longest = 0;  // (a symbolic loop's most: GROUP strides through any length)
    for (const UOp& r : reduction_loops(k)) longest = std::max(longest, int64_t(r.src(0).vmax()));
    if (longest >= (outputs <= 8192 ? 64 : 512)) {
      int64_t threads = 32;
      while (threads < 256 && threads < longest) threads *= 2;
      return {{OptOp::Group, 0, threads}};
    }
  }
  if (loops == 0) return opts;
  const ReuseInfo reuse = reuse_of(k);
  if (!reuse.has_reduce) return opts;
  // Tensor cores for float16/bfloat16 matmuls (ANNEAL_TC=0 turns them off), staged through shared
  // memory where the layouts allow (ANNEAL_STAGE=0 turns staging off).
  const bool staging = gpu && forms && !env_off("ANNEAL_STAGE");
  if (tc) return {tensor_core_opt(*tc, outputs, target, staging)};
  // float32 matmuls: tiles through shared memory.
  if (staging)
    if (const std::optional<GemmPlan> g = match_gemm(k))
      if (const int64_t tile = staging_tile(*g, outputs, stage_fits)) return {{OptOp::Stage, 0, tile}};
  // GPUs need threads: below this many outputs a tile would leave SMs idle (few-output kernels with
  // long reductions took GROUP above).
  if (gpu && outputs < 65536) return opts;
  if (!gpu) {
    // float32 matmul-shaped kernels: explicit vector tiles (ANNEAL_SIMD=0 turns them off).
    if (forms && !env_off("ANNEAL_SIMD"))
      if (const std::optional<GemmPlan> g = match_gemm(k))
        for (int64_t cols : {32, 16})
          if (simd_fits(*g, cols)) return {{OptOp::Simd, 0, cols}};
    return register_tile(k, reuse, 32, 8, 256);
  }
  // GPU: 4 columns by 8 rows per thread, 16 threads along the last loop and 64 along the one before,
  // so that a block's threads share what they read (BEAM's choice for a 4096 fp32 matmul on an H100).
  // Smaller tiles and blocks when that leaves fewer than two blocks per SM of an H100 (a weight
  // gradient of 384 x 1536 outputs would run 18 blocks on 132 SMs).
  constexpr int64_t kMinBlocks = 264;
  struct Tile { int64_t cols, rows, local_rows; };
  std::vector<Opt> best;
  int64_t best_blocks = 0;
  for (const Tile& c : {Tile{4, 8, 64}, Tile{4, 8, 16}, Tile{4, 4, 16}, Tile{2, 2, 16}}) {
    std::vector<Opt> cand = register_tile(k, reuse, c.cols, c.rows, 32);
    ScheduledKernel cur = k;
    for (const Opt& o : cand) cur = apply_opt(cur, o);  // an upcast can remove a loop: renumber
    const UOp& cur_end = cur.ast.src(0);
    int64_t threads = 1, per_thread = 1;
    for (const Opt& o : cand) per_thread *= o.amount;
    // Threads along the innermost loops (the contiguous ones: coalesced reads). A loop 16 does not
    // divide (a convolution's 5 x 5 window, a 24-wide image) takes its largest divisor of at least 3
    // below 16; a third loop joins while that leaves a block smaller than a warp.
    int placed = 0;
    for (int i = int(cur_end.num_srcs()) - 1; i-- > 0 && (placed < 2 || (placed == 2 && threads < 32));) {
      const std::optional<int64_t> size = const_range_size(cur_end.src(size_t(i) + 1));
      if (!size) continue;  // LOCAL threads tile constant loops only
      const int64_t n = *size;
      int64_t l = placed == 1 && n % c.local_rows == 0 ? c.local_rows : 16;
      if (n % l != 0)
        for (l = 15; l >= 3 && n % l != 0;) --l;
      if (l < 3) continue;
      cand.push_back({OptOp::Local, i, l});
      threads *= l;
      ++placed;
    }
    if (threads > target.max_block_threads) continue;
    const int64_t blocks = outputs / (per_thread * threads);
    if (blocks > best_blocks) best = cand, best_blocks = blocks;
    if (blocks >= kMinBlocks) return cand;
  }
  return best;
}

}  // namespace anneal
