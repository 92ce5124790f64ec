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
  UOp ast;                      // SINK(END(STORE(INDEX(PARAM0, idx), value), loops...)); opts rewrite it (codegen/opt.h)
  std::vector<UOp> buffers;     // the BUFFER bound to each PARAM slot; slot 0 is written
  Shape shape;                  // the output's shape (the loop nest); symbolic dims name variables
  std::vector<UOp> fused;       // the tensor-graph nodes computed inside this kernel (for reports)
  std::vector<UOp> vars;        // the variables the kernel takes as arguments, after its buffers (by name)
};

struct Schedule {
  std::vector<ScheduledKernel> kernels;  // in an order that respects every read-after-write
  std::vector<UOp> outputs;              // for each requested output: its value as a buffer view
  std::vector<std::pair<UOp, int64_t>> var_vals;  // the value of each variable the kernels take
  size_t intermediate_bytes = 0;         // sum of the sizes of buffers only this schedule uses
  size_t planned_bytes = 0;              // memory actually allocated for them after reuse
};

// Values that read no buffer (constants) are computed on `default_device` (a canonical name). A graph
// with symbolic shapes is scheduled without its bound values (schedule/unbind.h): kernels take the
// variables as arguments and buffers are sized for the variables' maxima.
// Buffers get no memory here: the engine's memory planner gives them some (engine/engine.h, which
// also has the overload that uses the process's default device).
Schedule create_schedule(std::span<const UOp> outputs, const std::string& default_device);

// The schedule cache: a graph whose structure was scheduled before (same ops, args and shapes, with
// input buffers abstracted to their order of appearance, and bound variables to their variables)
// reuses those kernels with new buffers and values.
// ANNEAL_SCHEDULE_CACHE=0 turns it off.
struct ScheduleCacheStats {
  size_t hits = 0, misses = 0;
};
ScheduleCacheStats schedule_cache_stats();

}  // namespace anneal
