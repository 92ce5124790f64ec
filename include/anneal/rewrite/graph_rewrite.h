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
//
// Each call is a pass named by `name` ("symbolic"): with ANNEAL_DEBUG >= 1 it is timed and its nodes
// visited, rewrites and rules fired (by rule name) are counted and traced (rewrite/pass_trace.h).
// Unnamed passes are traced as "(unnamed)".
#pragma once
#include <string_view>
#include <unordered_map>

#include "anneal/rewrite/pattern_matcher.h"
#include "anneal/support/function_ref.h"

namespace anneal {

UOp graph_rewrite(const UOp& root, const PatternMatcher& pm, void* ctx = nullptr, bool bottom_up = false,
                  std::string_view name = {});
// graph_rewrite(sink, rules, "name"), with the context and mode after the name.
UOp graph_rewrite(const UOp& root, const PatternMatcher& pm, std::string_view name, void* ctx = nullptr,
                  bool bottom_up = false);
// The same driver with any rewrite function (null result = no rewrite); counted without rule names.
UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, bool bottom_up = false, std::string_view name = {});
UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, std::string_view name, bool bottom_up = false);
// A literal name must not convert to `bool bottom_up` (a pointer converts to bool before string_view).
inline UOp graph_rewrite(const UOp& root, FunctionRef<UOp(const UOp&)> fn, const char* name, bool bottom_up = false) {
  return graph_rewrite(root, fn, std::string_view(name), bottom_up);
}

// Replaces every occurrence of each key by its value, rebuilding the users; replacements are not
// themselves searched (so x -> x+1 is well defined).
UOp substitute(const UOp& root, const std::unordered_map<UOp, UOp>& replacements);

}  // namespace anneal
