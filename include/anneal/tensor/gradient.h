// Autodiff as a graph rewrite: gradients are ordinary UOps added to the same graph.
//
// gradient_rules() is a PatternMatcher with one rule per differentiable op. Applied to a node with the
// gradient of its output as context, a rule returns TUPLE(gradient for each source), NOOP for "none".
// compute_gradient walks the graph from the root in reverse topological order, applies the rules,
// and sums the contributions of every consumer. Nothing is computed: the result is more graph.
#pragma once
#include <vector>

#include "anneal/rewrite/pattern_matcher.h"
#include "anneal/uop/uop.h"

namespace anneal {

const PatternMatcher& gradient_rules();

// d(root)/d(target) for each target, given d(loss)/d(root) = root_grad. A target the root does not
// depend on gets zeros. Raises anneal::Error for an op on the path that has no rule.
std::vector<UOp> compute_gradient(const UOp& root, const UOp& root_grad, const std::vector<UOp>& targets);

}  // namespace anneal
