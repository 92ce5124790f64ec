// GPU launch dimensions (internal to src/codegen): the output loops of a kernel become index
// expressions over the thread's position in the grid, and the launch shape is chosen.
//
// The output loops are flattened into one index (innermost loop fastest, so neighbouring threads
// store neighbouring elements) and each loop variable is recovered from it by / and %:
//   - plain kernels: one thread per output, "gid" = block * threads + thread;
//   - LOCAL axes: the block index "bid" walks tiles of the output and the thread index "lid" the
//     positions inside one, so a block's threads share the rows and columns they read;
//   - group axes (GROUP, GROUPTOP): one block per output ("bid"); its "lid" threads share the
//     reductions (linearize.cpp combines their partial results).
#pragma once
#include <cstdint>
#include <vector>

#include "anneal/codegen/target.h"
#include "anneal/uop/uop.h"

namespace anneal {

struct GpuDims {
  int64_t threads = 1, blocks = 1;
  bool grouped = false;       // one block per output, its threads sharing the reductions
  UOp lane;                   // SPECIAL "lid" where the kernel uses it
  std::vector<UOp> specials;  // the SPECIALs to declare, in order
  std::vector<UOp> outputs;   // per output loop (outermost first), its value
};

GpuDims lower_gpu_dims(const UOp& ast, const Target& target);

}  // namespace anneal
