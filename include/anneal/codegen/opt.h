// The kernel optimizer: opt actions that reshape a kernel's loop nest without changing what it
// computes, and the hand-coded heuristics that choose them per device.
//
// UPCAST(axis, k) splits output loop `axis` (an index into the kernel's output loops, outermost
// first) into an outer loop of n/k iterations and k unrolled copies of the body: each copy is the
// store with the loop variable substituted by outer*k + c, so hash-consing shares every value that
// does not depend on c (a matmul's A row is loaded once for the k columns of B). Reductions of the
// copies run in one loop with k accumulators — a register tile — which the C compiler turns into
// vector code and which gives each GPU thread k outputs.
//
// LOCAL(axis, k) gives a GPU block k threads along output loop `axis` (which k must divide): a block
// then covers a tile of the output, so the threads of a block share the rows and columns they read
// (through L1) instead of each block streaming its own. The CPU renderer ignores it.
//
// TC(0, tile) renders the kernel with tensor cores (codegen/tensor_core.h), tile 0 loading fragments
// straight from memory, 64 or 128 staging block tiles of that side through shared memory; TC(1, n)
// with Hopper's warpgroup MMA (wgmma, compute 9.0 only) in 128 x n block tiles. It must be the only
// opt.
//
// STAGE(0, tile) renders a float32 matmul-shaped kernel (codegen/gemm.h) with tile x tile outputs per
// block of 256 threads: tiles of A and B pass through shared memory (16-byte loads, double-buffered)
// and each thread keeps (tile/16)^2 accumulators, summing in the loop's order (bit-identical to the
// unoptimized kernel). It must be the only opt.
//
// SIMD(0, cols) renders a float32 matmul-shaped kernel (codegen/gemm.h) on the CPU as an explicit
// vector register tile: 8 rows by `cols` columns of accumulators held as 16-float vectors, per k one
// vector load per 16 columns of B and one broadcast per row of A, fused multiply-adds written as
// intrinsics. Tiles run column panel by column panel (a panel of B stays in cache while every row
// tile passes; a B not contiguous along its columns, such as a weight read transposed by a gradient,
// is first copied into a packed k x cols panel) and are split across cores. Each output accumulates in k order: bit-identical to the
// unoptimized loop. It must be the only opt. (UPCAST tiles leave the vectors to the C compiler's
// SLP vectorizer, which spills a 256-accumulator tile.)
//
// GROUP(0, t) gives each output a GPU block of t threads (a power of two) that share its reductions:
// thread i sums elements i, i + t, i + 2t... of the largest loop (coalesced), GROUPTOP(0, t) the
// contiguous chunk [n i / t, n (i + 1) / t); the partial sums combine through a shared-memory tree.
// For kernels with few outputs and long reductions (a loss, a norm, a softmax's row sums), where one
// thread per output would leave the GPU idle. It reorders the sums: results agree to rounding.
//
// UNROLL(axis, k) unrolls reduction loop `axis` (the kernel's reduction loops in order of first use)
// by k, which must divide it: the renderers ask the compiler (`#pragma unroll k`), which keeps the order
// of the sums, so the values stay bit-identical.
//
// THREAD(axis, n) splits output loop `axis` rather than the outermost across at most n CPU cores (a
// short outer loop would leave cores idle; a small kernel may not pay for waking them). GPU renderers
// ignore it.
//
// PADTO(axis, k) rounds output loop `axis` up to a multiple of k, so that an UPCAST or LOCAL of k
// divides it: the extra iterations compute with every load that depends on the loop gated off (reading
// 0, never out of bounds) and store nothing.
//
// NOLOCALS(0, 0) keeps a GPU kernel to one independent thread per output: LOCAL, GROUP, STAGE and TC
// are refused after it (a search space restriction for BEAM, as in the reference).
//
// SWAP(axis, other) exchanges two output loops: the order of the loop nest (on the CPU the outermost
// loop is the one split across cores, and the inner ones decide what stays in cache).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "anneal/codegen/target.h"
#include "anneal/schedule/schedule.h"

namespace anneal {

enum class OptOp : uint8_t { Upcast, Swap, Local, TensorCore, Stage, Group, GroupTop, Simd, Unroll, Thread, NoLocals, PadTo };

struct Opt {
  OptOp op;
  int axis;
  int64_t amount;            // UPCAST / LOCAL: the factor; SWAP: the other axis
  std::string str() const;  // "UPCAST(1, 16)", "LOCAL(1, 16)", "SWAP(0, 1)"
  friend bool operator==(const Opt&, const Opt&) = default;
};

// "UPCAST(1, 4)" -> Opt (exactly str()'s spelling); nullopt when malformed.
std::optional<Opt> parse_opt(const std::string& text);

// Opts rewrite the kernel AST (codegen never keeps decisions beside it): UPCAST, PADTO and SWAP
// rebuild the loop nest; LOCAL, GROUP, GROUPTOP, UNROLL and THREAD give loops an axis type
// (uop/axis.h); TC, STAGE and SIMD claim the matmul, its sum becoming a WMMA node (codegen/gemm.h);
// NOLOCALS marks the kernel's SINK (KernelInfo).
//
// The kernel with `opt` applied; an anneal::Error when it does not apply (no such axis, amount does
// not divide the loop).
ScheduledKernel apply_opt(const ScheduledKernel& kernel, const Opt& opt);

// The kernel's reduction loops in order of first use (UNROLL's axes).
std::vector<UOp> reduction_loops(const ScheduledKernel& kernel);
// The reductions not nested in another reduction's body (GROUP shares their largest loop).
std::vector<UOp> top_level_reduces(const UOp& ast);

// The arg of an optimized kernel's SINK: what holds for the kernel as a whole.
struct KernelInfo final : ArgObject {
  bool no_locals = false;  // NOLOCALS: no block-level cooperation (LOCAL, GROUP, STAGE, TC) on GPUs

  bool equals(const ArgObject& other) const override;
  void hash(Hasher& h) const override;
  std::string str() const override;
};
bool no_locals(const UOp& ast);

// Whether the opts change the order in which sums are accumulated (TC, GROUP, GROUPTOP): such a
// kernel's results agree with the unoptimized one's to rounding rather than bit for bit.
bool reorders_sums(const std::vector<Opt>& opts);

// The heuristic choice for `target`. Deterministic: depends on the kernel and the target only.
// ANNEAL_OPT=0 turns optimization off.
std::vector<Opt> hand_coded_opts(const ScheduledKernel& kernel, const Target& target);

// apply_opt for each of hand_coded_opts; the opts applied go to `applied` when given.
ScheduledKernel optimize(const ScheduledKernel& kernel, const Target& target, std::vector<Opt>* applied = nullptr);

}  // namespace anneal
