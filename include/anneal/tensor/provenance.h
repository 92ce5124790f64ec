// Provenance of the nodes of a training step: forward, backward or optimizer. A side table, never
// part of node identity: forward = the loss's graph, backward = what the gradients add to it,
// optimizer = what the parameter and state updates add on top.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "anneal/schedule/schedule.h"

namespace anneal {

enum class Phase : uint8_t { Forward, Backward, Optimizer };
std::string phase_name(Phase p);

class Provenance {
 public:
  Provenance(const UOp& loss, std::span<const UOp> grads, std::span<const UOp> updates);
  std::optional<Phase> phase_of(const UOp& u) const;
  // The phases of the computing nodes (ALU, CAST, REDUCE) a kernel fused, in Phase order.
  std::vector<Phase> phases_of(const ScheduledKernel& k) const;
  // Kernels that compute both forward and backward nodes: fusion across the seam.
  size_t seam_kernels(const Schedule& s) const;

 private:
  std::unordered_map<const void*, Phase> table_;
  std::vector<UOp> keep_;  // table keys are addresses: hold their nodes
};

}  // namespace anneal
