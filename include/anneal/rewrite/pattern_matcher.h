// PatternMatcher: an ordered list of rules (pattern -> function), bucketed by root op.
//
// rewrite(u) tries the rules whose pattern can match u's op, in order; the first rule that returns
// a node different from u wins. Matchers compose by concatenation: (a + b) tries a's rules first.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "anneal/rewrite/upat.h"

namespace anneal {

// What a rule function sees: the matched root, its named bindings, and the pass context.
class Match {
 public:
  Match(const UOp& root, const Bindings& b, void* ctx) : root_(root), b_(b), ctx_(ctx) {}
  const UOp& root() const { return root_; }
  const UOp& operator[](std::string_view name) const;
  bool has(std::string_view name) const { return b_.find(name) != nullptr; }
  template <class T>
  T& ctx() const {
    return *static_cast<T*>(ctx_);
  }

 private:
  const UOp& root_;
  const Bindings& b_;
  void* ctx_;
};

// Returns the replacement, or a null UOp when the rule does not apply after all.
using RewriteFn = std::function<UOp(const Match&)>;

struct Rule {
  UPat pattern;
  RewriteFn fn;
  // A one-line description of what the rule does ("d(a+b) = (g, g)", "x*1 -> x"): how `anneal
  // explain`, the visualizer and ANNEAL_DEBUG's traces name the rule. Every rule of the library's rule
  // sets has one (tests/viz/explain_test.cpp); ad-hoc matchers may leave it empty ("rule#i" in traces).
  std::string name;
  // Cheap prefilter: for each entry, some source of the node must have an op in it.
  std::vector<OpSet> required_src_ops;
};

class PatternMatcher {
 public:
  PatternMatcher() = default;
  PatternMatcher(std::initializer_list<Rule> rules);

  // `name`: the rule's one-line description (Rule::name).
  PatternMatcher& add(UPat pattern, RewriteFn fn, std::string name = "");
  PatternMatcher operator+(const PatternMatcher& other) const;

  // The first applicable rule's result, or a null UOp. When a rule fires and `fired` is given, it
  // receives that rule's index (for rule(i)): how passes count the rules that fired.
  UOp rewrite(const UOp& u, void* ctx = nullptr, size_t* fired = nullptr) const;

  size_t size() const { return rules_.size(); }
  const Rule& rule(size_t i) const { return *rules_[i]; }
  // The indices (for rule(i)) of the rules whose pattern can match a node of `op`, in the order
  // rewrite() tries them: those naming `op` at their root and those whose root matches any op.
  const std::vector<uint32_t>& rules_for(Ops op) const { return by_op_[size_t(op)]; }

 private:
  void index(uint32_t rule_id);
  std::vector<std::shared_ptr<const Rule>> rules_;
  std::array<std::vector<uint32_t>, kNumOps> by_op_;
};

}  // namespace anneal
