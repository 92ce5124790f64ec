// The library's rule sets by name, as `anneal explain` and the visualizer list them, and which of
// their rules can match a given op.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anneal/rewrite/pattern_matcher.h"

namespace anneal::viz {

struct RuleSet {
  std::string_view name;         // "symbolic", "gradient"
  std::string_view description;  // one line
  const PatternMatcher& (*rules)();
};

// Every PatternMatcher the compiler applies, smallest first: gradient, symbolic_simple, div_and_mod,
// simplify_valid, symbolic, sym. The symbolic sets nest (sym = symbolic + simplify_valid + 1 rule;
// symbolic = symbolic_simple + its own rules + div_and_mod).
std::span<const RuleSet> rule_sets();

struct RuleRef {
  std::string set;   // the smallest set the rule belongs to
  std::string rule;  // its name
};
// The symbolic rules (those of sym(), which holds every symbolic set) whose pattern can match a node
// of `op`, in the order the matcher tries them, each with the smallest set that defines it.
std::vector<RuleRef> symbolic_rules_for(Ops op);

}  // namespace anneal::viz
