// Phase 1 of symbolic: the generic folds. Every rule here looks at most two levels deep.
#include <cmath>

#include "anneal/uop/exec_alu.h"
#include "rule_util.h"

namespace anneal {
namespace {
using namespace rules;

// ---- Invalid travels with index values until a load or store is gated on it ----------------------
PatternMatcher data_invalid_rules() {
  PatternMatcher pm;
  const P inv = P::invalid().named("i");
  const P gate = where(var("cond"), var("x"), inv);
  const OpSet unary_like = groups::unary() | OpSet{Ops::CAST, Ops::BITCAST};
  pm.add(P::op(unary_like, {inv}), [](const Match& m) { return m["i"]; }, "unary(Invalid) -> Invalid");
  pm.add(P::op(unary_like, {gate}).named("op"),
         [](const Match& m) { return m["cond"].where(m["op"].replace_srcs(std::vector<UOp>{m["x"]}), m["i"]); },
         "unary moves inside the gate");
  pm.add(P::op(groups::binary(), {gate, var("y")}).named("alu"),
         [](const Match& m) { return m["cond"].where(m["x"].alu(m["alu"].op(), m["y"]), m["i"]); },
         "binary moves inside the gate (left)");
  pm.add(P::op(groups::binary(), {var("y"), gate}).named("alu"),
         [](const Match& m) { return m["cond"].where(m["y"].alu(m["alu"].op(), m["x"]), m["i"]); },
         "binary moves inside the gate (right)");
  pm.add(P::op(groups::binary() - groups::comparison(), {inv, P::any()}, P::SrcMode::Commutative),
         [](const Match& m) { return m["i"]; }, "binary(Invalid) -> Invalid");
  pm.add(where(inv, P::any(), P::any()), [](const Match& m) { return m["i"]; }, "where(Invalid, ...)");
  pm.add(where(gate, var("a"), var("b")),
         [](const Match& m) { return m["cond"].where(m["x"].where(m["a"], m["b"]), m["i"]); },
         "gated condition lifts its gate out");
  pm.add(where(var("cond"), inv, var("val")),
         [](const Match& m) {
           return m["val"].is_invalid() ? m["i"] : m["cond"].logical_not().where(m["val"], m["i"]);
         },
         "Invalid goes to the false branch");
  pm.add(where(var("a"), gate, var("c")),
         [](const Match& m) {
           if (m["c"].is_invalid()) return UOp();
           return (m["a"].logical_not() | m["cond"]).where(m["a"].where(m["x"], m["c"]), m["i"]);
         },
         "lift Invalid out of the true branch");
  pm.add(where(var("a"), var("b"), gate),
         [](const Match& m) {
           if (m["b"].is_invalid()) return UOp();
           return (m["a"] | m["cond"]).where(m["a"].where(m["b"], m["x"]), m["i"]);
         },
         "lift Invalid out of the false branch");
  return pm;
}

// Folds an ALU node whose sources are all constants.
UOp fold_const_alu(const Match& m) {
  const UOp& a = m.root();
  std::vector<ConstValue> vals;
  for (const UOp& s : a.srcs()) vals.push_back(s.const_value());
  // Comparisons and WHERE read their data operands in the operands' dtype.
  DType operand = a.is(Ops::WHERE) ? a.dtype() : a.src(0).dtype();
  if (is_binary(a.op()) && !is_comparison(a.op())) operand = a.dtype();
  if (is_comparison(a.op())) operand = least_upper(a.src(0).dtype(), a.src(1).dtype());
  auto r = exec_alu(a.op(), a.dtype(), operand, vals);
  return r ? a.const_like(*r) : UOp();
}

PatternMatcher fold_rules() {
  PatternMatcher pm;
  const P x = var("x"), y = var("y");
  // ---- self folding ----
  pm.add(P::op({Ops::ADD, Ops::XOR, Ops::OR}, {x, P::cnst(0)}, P::SrcMode::Commutative),
         [](const Match& m) { return m["x"]; }, "x+0, x^0, x|0 -> x");
  pm.add(P::op({Ops::SHL, Ops::SHR}, {x, P::cnst(0)}), [](const Match& m) { return m["x"]; }, "x<<0 -> x");
  pm.add(x * 1, [](const Match& m) { return m["x"]; }, "x*1 -> x");
  pm.add(floordiv(x, x), [](const Match& m) { return m["x"].const_like(1); }, "x//x -> 1");
  pm.add(floordiv(x, 1), [](const Match& m) { return m["x"]; }, "x//1 -> x");
  pm.add(floordiv(x, -1), [](const Match& m) { return -m["x"]; }, "x//-1 -> -x");
  pm.add((x ^ y) ^ y, [](const Match& m) { return m["x"]; }, "(x^y)^y -> x");
  pm.add((P::any() % y).named("base") % y, [](const Match& m) { return m["base"]; }, "(x%y)%y -> x%y");
  pm.add(var("x", boolean()) & cvar("c"),
         [](const Match& m) { return m["c"].const_value().as_bool() ? m["x"] : m["c"]; }, "bool x & c");
  pm.add(var("x", boolean()) | cvar("c"),
         [](const Match& m) { return m["c"].const_value().as_bool() ? m["c"] : m["x"]; }, "bool x | c");
  pm.add(P::op({Ops::CMPNE}, {var("x", boolean()), P::cnst(0).with_dtype(boolean())}),
         [](const Match& m) { return m["x"]; }, "x != False -> x");
  pm.add(P::op(groups::idempotent(), {x, x}), [](const Match& m) { return m["x"]; }, "x&x, x|x, max(x,x) -> x");
  pm.add(logical_not(logical_not(var("x", boolean()))), [](const Match& m) { return m["x"]; }, "not not x -> x");
  pm.add(where(var("x", boolean()), P::cnst(1).with_dtype(boolean()), P::cnst(0).with_dtype(boolean())),
         [](const Match& m) { return m["x"]; }, "where(x, True, False) -> x");
  pm.add(where(var("x", boolean()), P::cnst(0).with_dtype(boolean()), P::cnst(1).with_dtype(boolean())),
         [](const Match& m) { return m["x"].logical_not(); }, "where(x, False, True) -> not x");
  pm.add(ne(cast(var("x", boolean()), ints()), cvar("c")),
         [](const Match& m) {
           int64_t c = m["c"].ival();
           return c == 0 ? m["x"] : c == 1 ? m["x"].logical_not() : UOp::bool_const(true);
         },
         "int(bool x) != c");
  pm.add(P::op({Ops::TRUNC}, {var("x", ints_or_bool())}), [](const Match& m) { return m["x"]; }, "trunc(int) -> int");

  // ---- zero folding ----
  pm.add(lt(x, x), [](const Match&) { return UOp::bool_const(false); }, "x<x -> False");
  pm.add(x % x, [](const Match& m) { return m["x"].const_like(0); }, "x%x -> 0");
  pm.add(x ^ x, [](const Match& m) { return m["x"].const_like(0); }, "x^x -> 0");
  pm.add(x & 0, [](const Match& m) { return m["x"].const_like(0); }, "x&0 -> 0");
  pm.add(P::op({Ops::CMPNE}, {var("x", ints_or_bool()), var("x")}), [](const Match&) { return UOp::bool_const(false); },
         "x!=x -> False (ints)");

  // ---- constant folding ----
  pm.add(P::op({Ops::CAST}, {cvar("c")}).named("root"),
         [](const Match& m) {
           if (m["c"].is_invalid()) return m["c"];
           return m["root"].const_like(m["c"].const_value());
         },
         "cast of a constant");
  const P k = P::op({Ops::CONST});
  pm.add(P::op(groups::unary(), {k}), fold_const_alu, "fold unary");
  pm.add(P::op(groups::binary() - OpSet{Ops::THREEFRY}, {k, k}), fold_const_alu, "fold binary");
  pm.add(P::op(groups::ternary(), {k, k, k}), fold_const_alu, "fold ternary");
  // bool MUL is AND, ADD and MAX are OR (so no integer rule rewrites them wrongly)
  pm.add(var("x", boolean()) * var("y", boolean()), [](const Match& m) { return m["x"] & m["y"]; }, "bool * -> and");
  pm.add(var("x", boolean()) + var("y", boolean()), [](const Match& m) { return m["x"] | m["y"]; }, "bool + -> or");
  pm.add(maximum(var("x", boolean()), var("y", boolean())), [](const Match& m) { return m["x"] | m["y"]; },
         "bool max -> or");
  // x*0 -> 0 (like the reference, this ignores NaN in non-constant floats)
  pm.add(x * 0, [](const Match& m) {
    const UOp& v = m["x"];
    if (v.is_const() && v.const_value().is_float()) {
      double f = v.const_value().as_float();
      if (std::isnan(f) || std::isinf(f)) return m.root().const_like(ConstValue::floating(std::nan("")));
    }
    return m.root().const_like(0);
  }, "x*0 -> 0");

  // ---- casts ----
  pm.add(P::op_any_srcs({Ops::CAST, Ops::BITCAST}).named("root"),
         [](const Match& m) { return m["root"].dtype() == m["root"].src(0).dtype() ? m["root"].src(0) : UOp(); },
         "cast to own dtype");
  pm.add(cast(cast(x).named("a")).named("b"),
         [](const Match& m) {
           bool ok = m["x"].dtype() == m["b"].dtype() && can_lossless_cast(m["b"].dtype(), m["a"].dtype());
           return ok ? m["x"] : UOp();
         },
         "lossless cast round trip");
  pm.add(cast(x, boolean()), [](const Match& m) { return m["x"].ne(m["x"].const_like(0)); }, "cast to bool -> != 0");

  // ---- simple where folding ----
  pm.add(where(P::any(), var("v"), var("v")), [](const Match& m) { return m["v"]; }, "where(c, v, v) -> v");
  pm.add(where(cvar("gate"), var("a"), var("b")).named("w"),
         [](const Match& m) {
           UOp r = m["gate"].const_value().as_bool() ? m["a"] : m["b"];
           // a strong WHERE keeps its dtype when it folds to a weak constant branch
           if (r.is_const() && r.dtype().is_weak() && !m["w"].dtype().is_weak()) return m["w"].const_like(r.const_value());
           return r;
         },
         "where with a constant condition");
  pm.add(where(var("a"), where(var("b"), var("c"), var("d")), var("d")),
         [](const Match& m) { return (m["a"] & m["b"]).where(m["c"], m["d"]); }, "nested where, shared false branch");
  pm.add(where(var("a"), var("c"), where(var("b"), var("c"), var("d"))),
         [](const Match& m) { return (m["a"] | m["b"]).where(m["c"], m["d"]); }, "nested where, shared true branch");
  return pm;
}

// Variations of (x%c)+(x//c)*c = x.
// The B with q == B//div and B%div == base%div, or null. Constants move freely: the quotient may be
// merged ((x//c + a)//div -> (x + a*c)//(c*div) for div>0) and shifted ((y + k*D)//D == y//D + k).
UOp quotient_base(const UOp& q_full, const UOp& base, int64_t div) {
  using namespace sym_helpers;
  auto [q, s] = pop_const(q_full);
  auto [num, a128] = pop_const(base);
  i128 a = a128;
  if (!q.is(Ops::FLOORDIV) || !q.src(1).is_const()) return UOp();
  i128 D;
  const i128 qd = q.src(1).ival();
  if (div > 0 && num.is(Ops::FLOORDIV) && num.src(1).is_const() && qd == i128(num.src(1).ival()) * div) {
    const i128 c = num.src(1).ival();
    a = a * c;
    D = c * div;
    num = num.src(0);
  } else if (qd == div) {
    D = div;
  } else {
    return UOp();
  }
  auto [xx, xa] = pop_const(num);
  auto [p, pa] = pop_const(q.src(0));
  if (p != xx || D == 0) return UOp();
  const i128 t = i128(xa) + a - pa;
  if (floormod(t, D) != 0) return UOp();
  auto kk = fit(floordiv(t, D) - s);
  if (!kk) return UOp();
  if (*kk == 0) return base;
  auto step = fit(i128(*kk) * div);
  return step ? base - base.const_like(*step) : UOp();
}

UOp fold_add_divmod_recombine(const Match& m) {
  using namespace sym_helpers;
  const UOp& x = m.root();
  std::vector<UOp> terms = split(x, Ops::ADD);
  for (size_t i = 0; i < terms.size(); ++i) {
    auto [mod, mul] = pop_const(terms[i], Ops::MUL);
    if (!mod.is(Ops::FLOORMOD) || !mod.src(1).is_const()) continue;
    const UOp base = mod.src(0);
    const int64_t div = mod.src(1).ival();
    auto scale_needed = fit(i128(div) * mul);
    if (!scale_needed) continue;
    for (size_t j = 0; j < terms.size(); ++j) {
      if (i == j) continue;
      auto [q, scale] = pop_const(terms[j], Ops::MUL);
      if (scale != *scale_needed) continue;
      std::vector<UOp> rest;
      for (size_t k = 0; k < terms.size(); ++k)
        if (k != i && k != j) rest.push_back(terms[k]);
      if (UOp b = quotient_base(q, base, div)) {
        rest.insert(rest.begin(), b * mul);
        return usum(rest, x);
      }
      if (q.is(Ops::FLOORMOD) && q.src(1).is_const() && q.src(1).ival() > 0) {
        if (UOp b = quotient_base(q.src(0), base, div)) {
          auto wider = fit(i128(div) * q.src(1).ival());
          if (!wider) continue;
          rest.insert(rest.begin(), (b % *wider) * mul);
          return usum(rest, x);
        }
      }
    }
  }
  return UOp();
}

}  // namespace

const PatternMatcher& symbolic_simple() {
  static const PatternMatcher pm = [] {
    PatternMatcher p = data_invalid_rules() + fold_rules();
    p.add(P::op_any_srcs({Ops::ADD}).with_dtype(weakint()).named("x"), fold_add_divmod_recombine, "(x%c)+(x//c)*c -> x");
    return p;
  }();
  return pm;
}

}  // namespace anneal
