// graph_rewrite: the one driver that applies a PatternMatcher to a whole graph.
//
// Iterative (explicit stack), so million-node-deep graphs are fine. Each node is processed once per
// call (results are memoised), and each rewritten result is itself processed again until no rule
// fires: a fixed point per node.
//
//  - post-order (default): sources are rewritten first; then the node, rebuilt on the new sources,
//    is offered to the rules.
//  - bottom-up (`bottom_up = true`, "sink first"): the rules see a node before its sources, and are
//    re-applied until none fires; then the sources are rewritten and a rebuilt node is matched again.
#pragma once
#include <unordered_map>

#include "anneal/rewrite/pattern_matcher.h"
#include "anneal/support/function_ref.h"

namespace anneal {

UOp graph_rewrite(const UOp& root, const PatternMatcher& pm, void* ctx = nullptr, bool bottom_up = false);
// The same driver with any rewrite function (null result = no rewrite).
UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, bool bottom_up = false);

// Replaces every occurrence of each key by its value, rebuilding the users; replacements are not
// themselves searched (so x -> x+1 is well defined).
UOp substitute(const UOp& root, const std::unordered_map<UOp, UOp>& replacements);

}  // namespace anneal
