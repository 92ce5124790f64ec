// Unbinding: a graph whose shapes or values hold bound variables (BIND(var, value)) is scheduled as
// the same graph with the bare variables, so that one schedule and one set of compiled kernels serve
// every value; the values travel beside it to the launches.
#pragma once
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

struct Unbound {
  std::vector<UOp> outputs;                        // the graph with every BIND replaced by its variable
  std::vector<std::pair<UOp, int64_t>> values;     // each variable's value, by first appearance
  // The caller's node each bare node came from (only when something was unbound), so that reports
  // (a kernel's fused nodes, their provenance) refer to the caller's graph.
  std::unordered_map<const void*, UOp> bound_of;
};

// `order` is the toposort of `outputs`. A variable bound to two values, or used with no value, is an
// anneal::Error naming it.
Unbound unbind(std::span<const UOp> outputs, const std::vector<UOp>& order);

// The values `order` binds, checked as unbind does, without building the bare graph (a schedule
// cache hit needs only these).
std::vector<std::pair<UOp, int64_t>> bound_values(const std::vector<UOp>& order);

// Hashes `arg` of a node of `order` as unbinding would leave it: symbolic sizes without their values.
void hash_arg_unbound(const Arg& arg, Hasher& h);

// The variables a kernel AST reads, in the order kernels take them as arguments (by name).
std::vector<UOp> kernel_variables(const UOp& ast);

}  // namespace anneal
