// Gradients of the explain samples, computed by the gradient rule set itself (tensor/gradient.h):
// for an IR op, its one rule applied to the sample's node with a symbolic incoming gradient g; for a
// Tensor-level op, compute_gradient (what backward() runs) over its whole graph. The results are the
// UOps the rules return, which explain renders and the tests evaluate.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "viz/op_samples.h"

namespace anneal::viz {

struct SymbolicGradient {
  // The gradient rules that produced it (their names), in the order they were applied: one for an IR
  // op, every distinct rule on the way from the output to the operands for a Tensor-level op.
  std::vector<std::string> rules;
  UOp incoming;  // g = d(loss)/d(out): a symbolic operand of out's shape and dtype
  // One per source of the node (IR op) or per operand (Tensor-level op): the gradient, or a null UOp
  // where the rule gives none (NOOP: a comparison, the condition of a where, a cast from an integer).
  std::vector<UOp> gradients;
  std::vector<std::string> names;  // what each entry differentiates against ("a", "b", ...)
};

// The node's gradient rule applied to it; nullopt when no gradient rule matches the node's op.
std::optional<SymbolicGradient> rule_gradient(const OpSample& sample);
// compute_gradient from `sample.out` to every operand (null for operands that are not floats).
SymbolicGradient graph_gradient(const OpSample& sample);

}  // namespace anneal::viz
