#include "anneal/rewrite/pattern_matcher.h"

#include "anneal/support/error.h"

namespace anneal {

const UOp& Match::operator[](std::string_view name) const {
  const UOp* u = b_.find(name);
  check(u != nullptr, [&] { return "pattern rule asked for unbound name '" + std::string(name) + "'"; });
  return *u;
}

PatternMatcher::PatternMatcher(std::initializer_list<Rule> rules) {
  for (const Rule& r : rules) add(r.pattern, r.fn, r.name);
}

namespace {

// The op sets a node's sources must cover for `pattern` to have any chance of matching. Sound for
// every source mode that requires each source pattern to match some source; a repeated source
// pattern also matches a node without sources, so it requires nothing.
std::vector<OpSet> required_src_ops(const UPat& pattern) {
  std::vector<OpSet> out;
  const UPat::Node& n = pattern.node();
  if (n.mode == UPat::SrcMode::Unchecked || n.mode == UPat::SrcMode::Repeat) return out;
  for (const UPat& s : n.srcs)
    if (!s.node().ops.empty()) out.push_back(s.node().ops);
  return out;
}

bool may_match(const Rule& r, const UOp& u) {
  for (const OpSet& ops : r.required_src_ops) {
    bool found = false;
    for (const UOp& s : u.srcs()) found |= ops.contains(s.op());
    if (!found) return false;
  }
  return true;
}

}  // namespace

PatternMatcher& PatternMatcher::add(UPat pattern, RewriteFn fn, std::string name) {
  std::vector<OpSet> required = required_src_ops(pattern);
  rules_.push_back(
      std::make_shared<Rule>(Rule{std::move(pattern), std::move(fn), std::move(name), std::move(required)}));
  index(uint32_t(rules_.size() - 1));
  return *this;
}

void PatternMatcher::index(uint32_t rule_id) {
  const OpSet& ops = rules_[rule_id]->pattern.node().ops;
  if (ops.empty()) {
    for (auto& bucket : by_op_) bucket.push_back(rule_id);
  } else {
    ops.for_each([&](Ops o) { by_op_[size_t(o)].push_back(rule_id); });
  }
}

PatternMatcher PatternMatcher::operator+(const PatternMatcher& other) const {
  PatternMatcher out = *this;
  for (const auto& r : other.rules_) {
    out.rules_.push_back(r);
    out.index(uint32_t(out.rules_.size() - 1));
  }
  return out;
}

UOp PatternMatcher::rewrite(const UOp& u, void* ctx, size_t* fired) const {
  Bindings b;
  UOp result;
  for (uint32_t id : by_op_[size_t(u.op())]) {
    const Rule& r = *rules_[id];
    if (!may_match(r, u)) continue;
    bool hit = match(r.pattern, u, b, [&] {
      UOp out = r.fn(Match(u, b, ctx));
      if (!out || out == u) return false;
      result = std::move(out);
      return true;
    });
    if (hit) {
      if (fired) *fired = id;
      return result;
    }
  }
  return UOp();
}

}  // namespace anneal
