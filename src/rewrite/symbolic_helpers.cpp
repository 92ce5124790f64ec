#include <algorithm>
#include <numeric>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/axis.h"

namespace anneal::sym_helpers {

std::vector<UOp> split(const UOp& u, Ops sep) {
  std::vector<UOp> out;
  std::vector<const UOp*> stack{&u};
  while (!stack.empty()) {
    const UOp* x = stack.back();
    stack.pop_back();
    if (x->op() == sep) {
      for (size_t i = x->num_srcs(); i-- > 0;) stack.push_back(&x->src(i));
    } else {
      out.push_back(*x);
    }
  }
  return out;
}

std::pair<UOp, int64_t> pop_const(const UOp& u, Ops op) {
  if (u.op() == op && u.src(1).is_const() && !u.src(1).is_invalid()) return {u.src(0), u.src(1).ival()};
  return {u, op == Ops::MUL ? 1 : 0};
}

int64_t const_factor(const UOp& u) {
  switch (u.op()) {
    case Ops::CONST: return u.is_invalid() ? 1 : u.ival();
    case Ops::ADD: return std::gcd(const_factor(u.src(0)), const_factor(u.src(1)));
    case Ops::MUL:
      if (u.src(0).is_const() && !u.src(0).is_invalid()) return u.src(0).ival();
      if (u.src(1).is_const() && !u.src(1).is_invalid()) return u.src(1).ival();
      return 1;
    default: return 1;
  }
}

UOp divides(const UOp& u, int64_t v) {
  if (v == 1) return u;
  if (v == 0) return UOp();
  switch (u.op()) {
    case Ops::CONST:
      if (u.is_invalid() || u.ival() % v != 0) return UOp();
      return u.const_like(u.ival() / v);
    case Ops::ADD: {
      UOp a = divides(u.src(0), v);
      if (!a) return UOp();
      UOp b = divides(u.src(1), v);
      return b ? a + b : UOp();
    }
    case Ops::MUL:
      if (UOp a = divides(u.src(0), v)) return a * u.src(1);
      if (UOp b = divides(u.src(1), v)) return u.src(0) * b;
      return UOp();
    default: return UOp();
  }
}

namespace {
// Multiset of the factors of a MUL chain, as (node, count) pairs in first-seen order.
using Factors = std::vector<std::pair<UOp, int>>;
Factors::iterator find_factor(Factors& f, const UOp& node) {
  return std::find_if(f.begin(), f.end(), [&node](const auto& p) { return p.first == node; });
}
Factors count_factors(const UOp& u) {
  Factors f;
  for (const UOp& t : split(u, Ops::MUL)) {
    auto it = find_factor(f, t);
    if (it == f.end()) f.emplace_back(t, 1);
    else ++it->second;
  }
  return f;
}
}  // namespace

UOp divide_exact(const UOp& u, const UOp& v) {
  if (u == v) return u.const_like(1);
  if (v.is_const()) return v.is_invalid() ? UOp() : divides(u, v.ival());
  if (u.op() == Ops::ADD) {
    UOp a = divide_exact(u.src(0), v);
    if (!a) return UOp();
    UOp b = divide_exact(u.src(1), v);
    return b ? a + b : UOp();
  }
  if (u.op() == Ops::MUL) {
    auto [fac, c] = pop_const(u, Ops::MUL);
    auto [div_fac, div_c] = pop_const(v, Ops::MUL);
    if (div_c == 0 || c % div_c != 0) return UOp();
    Factors have = count_factors(fac);
    for (const auto& [t, n] : count_factors(div_fac)) {
      auto it = find_factor(have, t);
      if (it == have.end() || it->second < n) return UOp();
      it->second -= n;
    }
    UOp out = u.const_like(c / div_c);
    for (const auto& [t, n] : have)
      for (int k = 0; k < n; ++k) out = out * t;
    return out;
  }
  return UOp();
}

UOp common_factor(std::span<const UOp> terms) {
  int64_t g = 0;
  std::optional<Factors> shared;
  for (const UOp& u : terms) {
    int64_t f = const_factor(u);
    g = std::gcd(g, f);
    UOp t = f == 0 ? UOp() : divides(u, f);
    Factors mine = t ? count_factors(t) : Factors{};
    if (!shared) {
      shared = mine;
      continue;
    }
    for (auto& [node, n] : *shared) {
      auto it = find_factor(mine, node);
      n = it == mine.end() ? 0 : std::min(n, it->second);
    }
  }
  UOp out = terms[0].const_like(g);
  if (shared)
    for (const auto& [node, n] : *shared)
      for (int k = 0; k < n; ++k) out = node * out;  // the constant stays at the top right
  return out;
}

UOp usum(std::span<const UOp> terms, const UOp& like) {
  if (terms.empty()) return like.const_like(0);
  UOp out = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) out = out + terms[i];
  return out;
}

UOp uprod(std::span<const UOp> terms, const UOp& like) {
  if (terms.empty()) return like.const_like(1);
  UOp out = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) out = out * terms[i];
  return out;
}

int canonical_compare(const UOp& a, const UOp& b) {
  // Lexicographic over (op, arg, dtype, sources), explored iteratively and bounded: beyond the
  // budget the structural keys decide, which is still deterministic across processes.
  std::vector<std::pair<const UOp*, const UOp*>> work{{&a, &b}};
  for (int budget = 256; !work.empty() && budget > 0; --budget) {
    auto [x, y] = work.back();
    work.pop_back();
    if (*x == *y) continue;
    if (x->op() != y->op()) return x->op() < y->op() ? -1 : 1;
    // Loops order by id whatever their axis type (an opt retyping a loop must not reorder sums).
    if (x->is(Ops::RANGE) && range_id(*x) != range_id(*y)) return range_id(*x) < range_id(*y) ? -1 : 1;
    if (int c = Arg::compare(x->arg(), y->arg())) return c;
    if (x->dtype() != y->dtype()) return x->dtype().scalar() < y->dtype().scalar() ? -1 : 1;
    if (x->num_srcs() != y->num_srcs()) return x->num_srcs() < y->num_srcs() ? -1 : 1;
    for (size_t i = x->num_srcs(); i-- > 0;) work.push_back({&x->src(i), &y->src(i)});
  }
  if (work.empty()) return 0;
  return a.key() < b.key() ? -1 : 1;
}

}  // namespace anneal::sym_helpers
