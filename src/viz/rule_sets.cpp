#include "viz/rule_sets.h"

#include <unordered_set>

#include "anneal/rewrite/symbolic.h"
#include "anneal/tensor/gradient.h"

namespace anneal::viz {

std::span<const RuleSet> rule_sets() {
  static const RuleSet sets[] = {
      {"gradient", "one rule per differentiable op: the gradient of each source given the output's", gradient_rules},
      {"symbolic_simple", "constant folding, identities, Invalid propagation, bool algebra, casts, where folds",
       symbolic_simple},
      {"div_and_mod", "floor division and modulo of index math: constant quotients, congruences, common factors", div_and_mod},
      {"simplify_valid", "validity clauses simplify each other; an index under its valid", simplify_valid},
      {"symbolic", "symbolic_simple + canonical order, like terms, comparisons by bounds + div_and_mod", symbolic},
      {"sym", "symbolic + simplify_valid + each where branch under its side of the condition", sym},
  };
  return sets;
}

std::vector<RuleRef> symbolic_rules_for(Ops op) {
  // A rule shared by several sets is the same object in each (PatternMatcher::operator+ shares rules),
  // so its identity tells the smallest set that defines it.
  struct Owner {
    std::string name;
    std::unordered_set<const Rule*> rules;
  };
  static const std::vector<Owner> owners = [] {
    std::vector<Owner> out;
    for (const RuleSet& set : rule_sets()) {
      if (set.name == "gradient") continue;
      Owner o{std::string(set.name), {}};
      for (size_t i = 0; i < set.rules().size(); ++i) o.rules.insert(&set.rules().rule(i));
      out.push_back(std::move(o));
    }
    return out;
  }();
  std::vector<RuleRef> refs;
  for (uint32_t i : sym().rules_for(op)) {
    const Rule* rule = &sym().rule(i);
    for (const Owner& o : owners)
      if (o.rules.count(rule)) {
        refs.push_back({o.name, rule->name});
        break;
      }
  }
  return refs;
}

}  // namespace anneal::viz
