// Tensor-graph expressions as infix text, for people: `g*b`, `where(c, g, 0)`, `sum(g, axes=[1])`.
//
// uop/print.h's render() spells scalar index math; a tensor graph also holds movement ops, reductions
// and constants broadcast by RESHAPE and EXPAND. Here named leaves (the operands a, b and the incoming
// gradient g) print as their names, a broadcast constant as its value, a - b and a / b as written
// (the tensor layer builds a + b*-1 and a * (1/b)), movement ops and reductions as calls with their
// args. A node used more than once (other than a leaf or a constant) becomes a definition `t0 = ...`,
// so the text grows with the graph, not with the number of paths through it.
#pragma once
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal::viz {

struct ExpressionText {
  std::vector<std::string> definitions;  // "t0 = exp2(a*1.4427)", in the order they are needed
  std::vector<std::string> roots;        // one per root
};

// `names`: the leaves to print by name (node identity -> name).
ExpressionText render_expressions(std::span<const UOp> roots, const std::unordered_map<const void*, std::string>& names);

}  // namespace anneal::viz
