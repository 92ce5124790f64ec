// Graph walks over UOps. All are iterative: graphs can be millions of nodes deep.
#pragma once
#include <functional>
#include <unordered_set>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// Every node reachable from `root`, sources before users (root last).
std::vector<UOp> toposort(const UOp& root);
// Toposort that does not descend below nodes for which `stop` returns true (they are included).
std::vector<UOp> toposort(const UOp& root, const std::function<bool(const UOp&)>& stop);

// Number of distinct nodes reachable from `root`, root included.
size_t node_count(const UOp& root);

// Whether `needle` is `root` or one of its transitive sources.
bool in_backward_slice(const UOp& root, const UOp& needle);

// Whether any node of `root`'s graph (root included) has op `op`.
bool has_op(const UOp& root, Ops op);

}  // namespace anneal
