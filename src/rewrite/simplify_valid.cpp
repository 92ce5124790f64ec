// Simplification under a validity condition: inside `where(valid, x, ...)` (or an AND of
// clauses) each clause bounds an expression more tightly than its own interval does. We substitute
// the expression by a fresh variable carrying the tighter bounds, simplify, and substitute back.
#include <algorithm>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/uop/graph.h"
#include "rule_util.h"

namespace anneal {
namespace {
using namespace rules;
using namespace sym_helpers;

struct Clause {
  UOp expr;
  bool is_upper;  // expr <= bound, else expr >= bound
  i128 bound;
};

// X < c -> X <= c-1;  c < X -> X >= c+1;  not (X < c) -> X >= c.
std::optional<Clause> parse_valid(const UOp& v) {
  if (v.is(Ops::CMPNE) && v.src(1).is_const() && v.src(1).dtype().is_bool() && v.src(1).ival() == 1) {
    const UOp& s0 = v.src(0);
    if (s0.is(Ops::CMPLT) && s0.src(0).dtype().is_int()) return Clause{s0.src(0), false, s0.src(1).vmin()};
  }
  if (v.is(Ops::CMPLT) && v.src(0).dtype().is_int()) {
    if (v.src(0).is_const()) return Clause{v.src(1), false, i128(v.src(0).ival()) + 1};
    return Clause{v.src(0), true, v.src(1).vmax() - 1};
  }
  return std::nullopt;
}

// Fresh variables get names no user expression can spell.
UOp fake_variable(size_t i, i128 lo, i128 hi, DType dtype) {
  return UOp::variable("#valid" + std::to_string(i), int64_t(lo), int64_t(hi), dtype);
}

bool all_same(const std::vector<UOp>& v) {
  return std::all_of(v.begin(), v.end(), [&](const UOp& u) { return u == v.front(); });
}

UOp and_all(std::span<const UOp> clauses) {
  UOp out = clauses[0];
  for (size_t i = 1; i < clauses.size(); ++i) out = out & clauses[i];
  return out;
}

UOp simplify_valid_clauses(const Match& m) {
  const UOp& valid = m["valid"];
  if (has_op(valid, Ops::INDEX)) return UOp();
  std::vector<UOp> valids = split(valid, Ops::AND);
  // Clauses whose expression appears inside other clauses go first, so those others get simplified.
  auto priority = [&](const UOp& v) {
    auto c = parse_valid(v);
    if (!c) return 0;
    int p = 0;
    for (const UOp& other : valids) p -= in_backward_slice(other, c->expr) ? 1 : 0;
    return p;
  };
  std::vector<std::pair<int, UOp>> keyed;
  for (const UOp& v : valids) keyed.emplace_back(priority(v), v);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<UOp> ordered, out;
  for (const auto& [p, v] : keyed)
    if (std::find(ordered.begin(), ordered.end(), v) == ordered.end()) ordered.push_back(v);
  for (UOp stmt : ordered) {
    if (!out.empty()) stmt = uop_given_valid(and_all(out), stmt);
    out.push_back(stmt);
  }
  if (out == valids) return UOp();
  return and_all(out);
}

UOp gated_given_valid(const Match& m) {
  const UOp& x = m["x"];
  if (x.dtype() != dtypes::weakint || has_op(x, Ops::INDEX)) return UOp();
  UOp nx = uop_given_valid(m["cond"], x, false);
  return nx == x ? UOp() : m["cond"].where(nx, m["i"]);
}

// In where(c, t, f) of index math, t may assume c and f may assume not c.
UOp where_given_condition(const Match& m) {
  const UOp &c = m["c"], &t = m["t"], &f = m["f"];
  if (t.is_invalid() || f.is_invalid() || has_op(m.root(), Ops::INDEX)) return UOp();
  UOp nt = t.dtype() == dtypes::weakint ? uop_given_valid(c, t, false) : t;
  UOp nf = f.dtype() == dtypes::weakint ? uop_given_valid(c.logical_not(), f, false) : f;
  if (nt == t && nf == f) return UOp();
  return c.where(nt, nf);
}

}  // namespace

UOp uop_given_valid(const UOp& valid, UOp uop, bool try_simplex) {
  // Per expression: the tightest [lo, hi] the clauses give.
  std::vector<std::pair<UOp, std::pair<std::optional<i128>, std::optional<i128>>>> bounds;
  for (const UOp& stmt : split(valid, Ops::AND)) {
    auto c = parse_valid(stmt);
    if (!c) continue;
    auto it = std::find_if(bounds.begin(), bounds.end(), [&](const auto& b) { return b.first == c->expr; });
    if (it == bounds.end()) {
      bounds.push_back({c->expr, {}});
      it = bounds.end() - 1;
    }
    auto& [lo, hi] = it->second;
    if (c->is_upper) hi = hi ? std::min(*hi, c->bound) : c->bound;
    else lo = lo ? std::max(*lo, c->bound) : c->bound;
  }

  std::unordered_map<UOp, UOp> to_fake, from_fake;
  for (size_t i = 0; i < bounds.size(); ++i) {
    const UOp& expr = bounds[i].first;
    const i128 lo = bounds[i].second.first.value_or(expr.vmin());
    const i128 hi = bounds[i].second.second.value_or(expr.vmax());
    if (lo > hi || !fit(lo) || !fit(hi) || !expr.dtype().is_int()) continue;  // unsatisfiable or unrepresentable
    UOp fake = fake_variable(i, lo, hi, expr.dtype());
    to_fake.emplace(expr, fake);
    from_fake.emplace(fake, expr);
    if (!try_simplex) continue;

    // Every candidate is a set of substitutions; if each branch simplifies uop to the same result,
    // that result holds under the valid.
    std::vector<std::vector<std::pair<UOp, UOp>>> candidates{{{expr, fake}}};
    std::vector<UOp> parts = split(expr, Ops::ADD);
    if (expr.is(Ops::ADD) && lo == 1 &&
        std::all_of(parts.begin(), parts.end(), [](const UOp& u) { return groups::irreducible().contains(u.op()); })) {
      std::vector<std::pair<UOp, UOp>> simplex;
      for (const UOp& xi : parts)
        if (xi.vmax() >= 1) simplex.push_back({xi, fake_variable(i, 1, xi.vmax(), xi.dtype())});
      if (simplex.size() == parts.size()) candidates.push_back(simplex);
    }
    for (const auto& candidate : candidates) {
      if (std::any_of(candidate.begin(), candidate.end(), [&](const auto& p) { return !in_backward_slice(uop, p.first); }))
        continue;
      std::vector<UOp> results;
      for (const auto& [X, newX] : candidate)
        results.push_back(symbolic_rewrite(substitute(symbolic_rewrite(substitute(uop, {{X, newX}})), {{newX, X}})));
      if (all_same(results)) uop = results[0];
    }
  }
  // All clauses together, whole expressions only.
  UOp s = substitute(uop, to_fake);
  if (s != uop) uop = symbolic_rewrite(substitute(symbolic_rewrite(s), from_fake));
  return uop;
}

const PatternMatcher& simplify_valid() {
  static const PatternMatcher pm = [] {
    PatternMatcher p;
    p.add(P::op_any_srcs({Ops::AND}).with_dtype(boolean()).named("valid"), simplify_valid_clauses, "simplify valid");
    p.add(where(var("cond"), var("x"), P::invalid().named("i")), gated_given_valid, "index given its valid");
    return p;
  }();
  return pm;
}

const PatternMatcher& sym() {
  static const PatternMatcher pm = [] {
    PatternMatcher p = symbolic() + simplify_valid();
    p.add(where(var("c", boolean()), var("t"), var("f")), where_given_condition, "branches given the condition");
    return p;
  }();
  return pm;
}

UOp sym_rewrite(const UOp& u) { return u.is_const() ? u : graph_rewrite(u, sym(), "sym"); }

UOp simplify_full(const UOp& u) { return no_larger_than(u, sym_rewrite(u)); }

}  // namespace anneal
