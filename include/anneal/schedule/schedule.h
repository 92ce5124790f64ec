// The scheduler: from the tensor graph of some outputs to an ordered list of kernels.
//
// It decides which values get a buffer (outputs, CONTIGUOUS, reductions that are broadcast or used
// more than once), then lowers each of them to a kernel AST in which every movement op has become
// index arithmetic over RANGE loops (see lower.h). Everything else is fused into its consumers.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal {

struct ScheduledKernel {
  std::string name;             // "E_64_32" (elementwise) / "r_64_32" (with a reduction), made unique
  UOp ast;                      // SINK(END(STORE(INDEX(PARAM0, idx), value), loops...)); opts rewrite it (codegen/opt.h)
  std::vector<UOp> buffers;     // the BUFFER bound to each PARAM slot; slot 0 is written
  Shape shape;                  // the output's shape (the loop nest)
  std::vector<UOp> fused;       // the tensor-graph nodes computed inside this kernel (for reports)
};

struct Schedule {
  std::vector<ScheduledKernel> kernels;  // in an order that respects every read-after-write
  std::vector<UOp> outputs;              // for each requested output: its value as a buffer view
  size_t intermediate_bytes = 0;         // sum of the sizes of buffers only this schedule uses
  size_t planned_bytes = 0;              // memory actually allocated for them after reuse
};

// Values that read no buffer (constants) are computed on `default_device` (a canonical name).
// Buffers get no memory here: the engine's memory planner gives them some (engine/engine.h, which
// also has the overload that uses the process's default device).
Schedule create_schedule(std::span<const UOp> outputs, const std::string& default_device);

// The schedule cache: a graph whose structure was scheduled before (same ops, args and shapes, with
// input buffers abstracted to their order of appearance) reuses those kernels with new buffers.
// ANNEAL_SCHEDULE_CACHE=0 turns it off.
struct ScheduleCacheStats {
  size_t hits = 0, misses = 0;
};
ScheduleCacheStats schedule_cache_stats();

}  // namespace anneal
