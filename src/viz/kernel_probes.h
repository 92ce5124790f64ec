// Where kernel-level ops come from: a few small kernels scheduled, optimized and linearized as the
// engine would for a CPU and for GPU targets (nothing is compiled or run). `anneal explain` shows an
// op that no tensor graph holds (RANGE, SPECIAL, DEFINE_REG, BARRIER, WMMA, ...) as it appears there.
#pragma once
#include <optional>
#include <string>

#include "anneal/uop/uop.h"

namespace anneal::viz {

struct ProbeSighting {
  std::string probe;  // which kernel, how optimized: "a row sum of a (4, 64) on the CPU"
  char level = 'K';   // 'K': in its kernel AST (after opts); 'P': in its linearized program
  UOp node;           // the first node of the op found there
};

// The first sighting of `op` in the probe kernels, or nullopt when none of them has one.
std::optional<ProbeSighting> find_in_probe_kernels(Ops op);

}  // namespace anneal::viz
