// Floor division and modulo of index expressions: the div/mod family of the reference.
//
// fold_divmod works on FLOORDIV/FLOORMOD of weakint, using the bounds of the numerator's terms to
// find quotients that are constant, congruences that fold, common factors, and nested forms.
#include <algorithm>
#include <numeric>
#include <set>

#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"
#include "rule_util.h"

namespace anneal {
namespace {
using namespace rules;
using namespace sym_helpers;

UOp fold_divmod(const UOp& d);

// Rules that need the divisor to be a positive constant c.
UOp fold_by_positive_const(const UOp& d, const UOp& x, const UOp& y, int64_t c) {
  const bool is_mod = d.is(Ops::FLOORMOD);
  auto [x_peeled, konst] = pop_const(x);
  std::vector<UOp> terms_in = split(x_peeled, Ops::ADD);

  // (x%(k*c))//c -> (x//c)%k
  if (!is_mod && x.is(Ops::FLOORMOD)) {
    UOp k = divides(x.src(1), c);
    if (k && k.is_const() && k.ival() > 0) return x.src(0).floordiv(y) % k;
  }
  // (a%(k*c) + b) % c -> (a + b) % c
  if (is_mod) {
    bool changed = false;
    std::vector<UOp> stripped;
    for (const UOp& u : terms_in) {
      if (u.is(Ops::FLOORMOD) && divides(u.src(1), c)) {
        stripped.push_back(u.src(0));
        changed = true;
      } else {
        stripped.push_back(u);
      }
    }
    if (changed) return (usum(stripped, x) + konst) % y;
  }

  // Decompose each term as factor * term.
  std::vector<UOp> terms;
  std::vector<int64_t> factors;
  for (const UOp& u : terms_in) {
    int64_t f = const_factor(u);
    UOp t = f == 0 ? UOp() : divides(u, f);
    if (!t) return UOp();
    terms.push_back(t);
    factors.push_back(f);
  }

  // Congruence: pick remainders r_i = f_i mod c (or r_i - c) so that sum(r_i*t_i) + const%c stays
  // within one period; then the quotient and remainder are affine.
  std::vector<std::vector<i128>> choices;
  for (int64_t f : factors) {
    i128 r = floormod(f, c);
    if (r * 2 == c || terms.size() == 1) choices.push_back({r, r - c});
    else choices.push_back({(r < (c - r)) ? r : r - c});
  }
  std::vector<size_t> pick(terms.size(), 0);
  const i128 kmod = floormod(konst, c);
  for (bool more = true; more;) {
    std::vector<UOp> rem_terms;
    bool ok = true;
    for (size_t i = 0; i < terms.size() && ok; ++i) {
      auto r = fit(choices[i][pick[i]]);
      ok = r.has_value();
      if (ok) rem_terms.push_back(terms[i] * *r);
    }
    if (ok) {
      UOp rem = usum(rem_terms, x) + int64_t(kmod);
      const i128 lo = rem.vmin(), hi = rem.vmax();
      if (floordiv(lo, c) == floordiv(hi, c)) {
        const i128 shift = floordiv(lo, c);
        if (is_mod) {
          auto s = fit(shift * c);
          if (s) return rem - *s;
        } else {
          std::vector<UOp> quot;
          bool fits = true;
          for (size_t i = 0; i < terms.size() && fits; ++i) {
            auto q = fit(floordiv(i128(factors[i]) - choices[i][pick[i]], c));
            fits = q.has_value();
            if (fits) quot.push_back(terms[i] * *q);
          }
          auto tail = fit(floordiv(konst, c) + shift);
          if (fits && tail) return usum(quot, x) + *tail;
        }
      }
    }
    // next combination of remainder choices
    more = false;
    for (size_t i = 0; i < pick.size(); ++i) {
      if (++pick[i] < choices[i].size()) {
        more = true;
        break;
      }
      pick[i] = 0;
    }
  }

  // Common factor of the terms and c: (g*a + k)//c with g | c.
  int64_t g = c;
  for (int64_t f : factors) g = std::gcd(g, f);
  if (g > 1) {
    UOp scaled = divides(x_peeled, g);
    if (scaled) {
      UOp new_x = symbolic_rewrite(scaled) + int64_t(floormod(floordiv(konst, g), c / g));
      if (new_x.vmin() >= 0) {
        if (is_mod) return (new_x % (c / g)) * g + int64_t(floormod(konst, g));
        return new_x.floordiv(c / g) + int64_t(floordiv(konst, c));
      }
    }
  }

  // Nest by a factor f of c shared by a term: x//c -> (x//f)//(c/f), x%c -> ((x//f)%(c/f))*f + x%f.
  std::set<int64_t> divs;
  for (size_t i = 0; i < terms_in.size(); ++i) {
    const int64_t f = factors[i] < 0 ? -factors[i] : factors[i];
    if (!terms_in[i].is_const() && 1 < f && f < c && c % f == 0) divs.insert(f);
  }
  UOp best;
  size_t best_size = SIZE_MAX;
  for (int64_t div : divs) {
    UOp inner = fold_divmod(x.floordiv(div));
    if (!inner) continue;
    UOp candidate;
    if (!is_mod) {
      candidate = inner.floordiv(c / div);
    } else if (x.vmin() >= 0 && inner.vmin() >= 0) {
      std::vector<UOp> b_parts;
      for (size_t i = 0; i < terms.size(); ++i)
        if (int64_t r = int64_t(floormod(factors[i], div)); r != 0) b_parts.push_back(terms[i] * r);
      if (int64_t r = int64_t(floormod(konst, div)); r != 0) b_parts.push_back(x.const_like(r));
      UOp b = usum(b_parts, x);
      if (b.vmin() >= 0 && b.vmax() < div) candidate = (inner % (c / div)) * div + b;
    }
    if (!candidate) continue;
    size_t size = toposort(candidate).size();
    if (size < best_size) {
      best = candidate;
      best_size = size;
    }
  }
  return best;
}

UOp fold_divmod(const UOp& d) {
  const UOp &x = d.src(0), &y = d.src(1);
  const bool is_mod = d.is(Ops::FLOORMOD);
  if (y.vmin() == 0 && y.vmax() == 0)
    throw Error(std::string(is_mod ? "modulo" : "division") + " by zero in " + render(d));
  // Constant quotient.
  UOp q = x.floordiv(y);
  if (q.vmin() == q.vmax()) {
    auto k = fit(q.vmin());
    if (k) return is_mod ? x - y * *k : q.const_like(*k);
  }
  if (y.is_const() && y.ival() > 0)
    if (UOp r = fold_by_positive_const(d, x, y, y.ival())) return r;

  // Divide numerator and divisor by their common factor.
  std::vector<UOp> all_terms = split(x, Ops::ADD);
  std::vector<UOp> with_divisor = all_terms;
  with_divisor.push_back(y);
  UOp g = symbolic_rewrite(common_factor(with_divisor));
  if (g.is_const() && g.ival() == 0) return UOp();
  if (!(g.is_const() && g.ival() == 1)) {
    UOp xg = divide_exact(x, g), yg = divide_exact(y, g);
    if (xg && yg) {
      UOp r = xg.alu(d.op(), yg);
      return is_mod ? r * g : r;
    }
  }

  // Factor out multiples of the divisor: (d*x + y)//d -> x + y//d for non-negative operands.
  if (y.vmin() < 0 || x.vmin() < 0) return UOp();
  std::vector<UOp> quo, rem;
  for (const UOp& u : all_terms) {
    if (UOp qq = divide_exact(u, y)) {
      quo.push_back(qq);
      continue;
    }
    if (y.is_const() && y.ival() != 0) {
      const int64_t c = const_factor(u), yv = y.ival();
      if (c != 0 && floormod(c, yv) != c) {
        UOp base = divides(u, c);
        if (base) {
          rem.push_back(base * int64_t(floormod(c, yv)));
          quo.push_back(is_mod ? u.const_like(0) : base * int64_t(floordiv(c, yv)));
          continue;
        }
      }
    }
    rem.push_back(u);
  }
  if (quo.empty()) return UOp();
  UOp new_x = usum(rem, x) + x.const_like(0);
  if (new_x.vmin() < 0) return UOp();
  return is_mod ? new_x % y : new_x.floordiv(y) + usum(quo, x);
}

}  // namespace

const PatternMatcher& div_and_mod() {
  static const PatternMatcher pm = [] {
    PatternMatcher p;
    // (x//c + a)//d -> (x + a*c)//(c*d) for d > 0
    p.add(floordiv(floordiv(var("x"), cvar("c")) + cvar("a"), cvar("d")), [](const Match& m) -> UOp {
      const int64_t c = m["c"].ival(), a = m["a"].ival(), d = m["d"].ival();
      if (d <= 0 || c == 0) return UOp();
      auto ac = fit(i128(a) * c);
      auto cd = fit(i128(c) * d);
      if (!ac || !cd) return UOp();
      return (m["x"] + *ac).floordiv(*cd);
    }, "(x//c + a)//d -> (x + a*c)//(c*d)");
    // (x+c)//d -> (x + c%d)//d + c//d and (x+c)%d -> (x + c%d)%d
    p.add(P::op({Ops::FLOORDIV, Ops::FLOORMOD}, {var("x", weakint()) + cvar("c"), cvar("d")}).named("n"),
          [](const Match& m) -> UOp {
            const int64_t c = m["c"].ival(), d = m["d"].ival();
            if (d == 0 || floormod(c, d) == c) return UOp();
            const UOp shifted = m["x"] + int64_t(floormod(c, d));
            if (m["n"].is(Ops::FLOORDIV)) return shifted.floordiv(m["d"]) + int64_t(floordiv(c, d));
            return shifted % m["d"];
          },
          "split the multiple of d out of the constant");
    p.add(P::op_any_srcs({Ops::FLOORDIV, Ops::FLOORMOD}).with_dtype(weakint()).named("d"),
          [](const Match& m) { return fold_divmod(m["d"]); }, "fold div/mod");
    return p;
  }();
  return pm;
}

}  // namespace anneal
