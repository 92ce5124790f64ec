// The scheduler: from the tensor graph of some outputs to an ordered list of kernels.
//
// It decides which values get a buffer (outputs, CONTIGUOUS, reductions that are broadcast or used
// more than once), then lowers each of them to a kernel AST in which every movement op has become
// index arithmetic over RANGE loops (see lower.h). Everything else is fused into its consumers.
#pragma once
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal {

struct ScheduledKernel {
  std::string name;             // "E_64_32" (elementwise) / "r_64_32" (with a reduction), made unique
  UOp ast;                      // SINK(END(STORE(INDEX(PARAM0, idx), value), loops...))
  std::vector<UOp> buffers;     // the BUFFER bound to each PARAM slot; slot 0 is written
  Shape shape;                  // the output's shape (the loop nest)
  std::vector<UOp> fused;       // the tensor-graph nodes computed inside this kernel (for reports)
  std::vector<int64_t> local;   // GPU threads per block along each output loop (LOCAL opts); empty = default
  bool tensor_core = false;     // rendered with tensor cores (the TC opt; codegen/tensor_core.h)...
  bool warpgroup = false;       // ...with Hopper's warpgroup MMA (TC(1, n): wgmma) rather than mma.sync
  int64_t stage = 0;            // block tile side staged through shared memory (STAGE / TC; TC(1, n): n)
  int64_t simd = 0;             // CPU: columns of the SIMD register tile (SIMD; codegen/gemm.h); 0 = none
  int64_t group = 0;            // GPU threads sharing each output's reductions (GROUP / GROUPTOP); 0 = none
  bool group_top = false;       // GROUPTOP: each thread sums one contiguous chunk instead of a stride
  std::vector<std::pair<int64_t, int64_t>> unroll;  // UNROLL: (reduction RANGE id, factor) the compiler unrolls
  int64_t thread_range = -1;    // THREAD: the RANGE id of the output loop split across CPU cores (-1: the outermost)...
  int64_t thread_cores = 0;     // ...by at most this many cores (0: all)
  bool no_locals = false;       // NOLOCALS: no block-level cooperation (LOCAL, GROUP, STAGE, TC) on GPUs
};

struct Schedule {
  std::vector<ScheduledKernel> kernels;  // in an order that respects every read-after-write
  std::vector<UOp> outputs;              // for each requested output: its value as a buffer view
  size_t intermediate_bytes = 0;         // sum of the sizes of buffers only this schedule uses
  size_t planned_bytes = 0;              // memory actually allocated for them after reuse
};

Schedule create_schedule(std::span<const UOp> outputs);

// The schedule cache: a graph whose structure was scheduled before (same ops, args and shapes, with
// input buffers abstracted to their order of appearance) reuses those kernels with new buffers.
// ANNEAL_SCHEDULE_CACHE=0 turns it off.
struct ScheduleCacheStats {
  size_t hits = 0, misses = 0;
};
ScheduleCacheStats schedule_cache_stats();

}  // namespace anneal
