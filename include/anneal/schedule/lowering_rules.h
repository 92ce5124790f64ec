// The lowering rules: how the scheduler turns each op of a tensor graph into kernel AST.
//
// A realized value is lowered top-down at an output index vector (one UOp per dimension) under a
// validity (a bool UOp): each rule maps the index vector to its source's and lowers the source there,
// or yields a value (a load, a constant, a loop index). schedule/lower.cpp defines every rule next to
// its code; the lowerer dispatches through this table, and `anneal explain` lists it.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "anneal/uop/ops.h"
#include "anneal/uop/uop.h"

namespace anneal {

class KernelLowerer;  // schedule/lower.h

struct LoweringRule {
  OpSet ops;                     // the tensor-graph ops it lowers (no op is in two rules)
  std::string_view name;         // short: "reshape"
  std::string_view description;  // one line: what the rule does to the index vector
  // The kernel AST of `node`'s value at index vector `idx` under validity `valid`.
  UOp (*lower)(KernelLowerer& lowerer, const UOp& node, const std::vector<UOp>& idx, const UOp& valid);
};

// Every rule, in the order they are defined.
std::span<const LoweringRule> lowering_rules();
// The rule that lowers `op`, or null when no rule does (the op cannot be lowered from a tensor graph).
const LoweringRule* lowering_rule_for(Ops op);

}  // namespace anneal
