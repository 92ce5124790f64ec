// Phase 2 of symbolic: canonical order, term combining, comparisons by bounds, where folding.
#include <numeric>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/shape.h"
#include "rule_util.h"

namespace anneal {
namespace {
using namespace rules;
using namespace sym_helpers;

// Commutative index ops keep their operands in canonical order (constants last).
PatternMatcher commutative_rules() {
  PatternMatcher pm;
  pm.add(P::op_any_srcs(groups::commutative()).with_dtype(weakint()).named("x"), [](const Match& m) -> UOp {
    const UOp& x = m["x"];
    if (canonical_compare(x.src(1), x.src(0)) < 0) return x.replace_srcs(std::vector<UOp>{x.src(1), x.src(0)});
    return UOp();
  }, "canonical operand order");
  return pm;
}

// x < c for x = P + d*Q with P in [0, d) and d | c  ->  Q < c/d.
UOp lt_folding(const UOp& x, int64_t c) {
  std::vector<UOp> unit, scaled;
  for (const UOp& u : split(x, Ops::ADD)) (const_factor(u) == 1 ? unit : scaled).push_back(u);
  if (scaled.empty()) return UOp();
  int64_t d = c;
  for (const UOp& u : scaled) d = std::gcd(d, const_factor(u));
  if (d <= 1) return UOp();
  i128 lo = 0, hi = 0;
  for (const UOp& u : unit) {
    lo += u.vmin();
    hi += u.vmax();
  }
  if (lo < 0 || hi >= d) return UOp();
  UOp q = divides(usum(scaled, x), d);
  return q ? q.lt(c / d) : UOp();
}

// (a0*x0 + a1*x1 + ...) with ai > 0 and xi >= 0 irreducible: positive iff x0 + x1 + ... is.
UOp canonicalize_simplex(const UOp& X) {
  bool changed = false;
  std::vector<UOp> out;
  for (UOp u : split(X, Ops::ADD)) {
    if (u.is(Ops::MUL) && u.src(1).is_const() && u.src(1).ival() > 0) {
      changed = true;
      u = u.src(0);
    }
    if (!groups::irreducible().contains(u.op()) || u.vmin() < 0) return UOp();
    out.push_back(u);
  }
  return changed ? usum(out, X) : UOp();
}

// Inside cond.where(t, f), cond is True within t and False within f.
UOp fold_where_closure(const Match& m) {
  const UOp &cond = m["cond"], &t = m["t"], &f = m["f"];
  auto bool_use = [&](const UOp& branch) {
    for (const UOp& u : toposort(branch))
      for (const UOp& s : u.srcs())
        if (s == cond) return true;
    return branch == cond;
  };
  if (!bool_use(t) && !bool_use(f)) return UOp();
  for (const UOp* u : {&cond, &t, &f})
    if (has_op(*u, Ops::INDEX)) return UOp();
  UOp nt = substitute(t, {{cond, UOp::bool_const(true)}});
  UOp nf = substitute(f, {{cond, UOp::bool_const(false)}});
  if (nt == t && nf == f) return UOp();
  return cond.where(nt, nf);
}

bool has_invalid_src(const UOp& u) {
  for (const UOp& s : u.srcs())
    if (s.is_invalid() || is_invalid_gate(s)) return true;
  return false;
}

PatternMatcher phase2_rules() {
  PatternMatcher pm;
  const P x = var("x"), y = var("y"), c = cvar("c"), c0 = cvar("c0"), c1 = cvar("c1");
  // ---- boolean algebra ----
  pm.add(var("x", boolean()) | logical_not(var("x", boolean())), [](const Match&) { return UOp::bool_const(true); },
         "x or not x -> True");
  // ---- combine terms ----
  pm.add(x * c0 + x * c1, [](const Match& m) { return m["x"] * (m["c0"] + m["c1"]); }, "x*c0 + x*c1");
  pm.add((y + x * c0) + x * c1, [](const Match& m) { return m["y"] + m["x"] * (m["c0"] + m["c1"]); },
         "y + x*c0 + x*c1");
  pm.add(x + x * c, [](const Match& m) { return m["x"] * (m["c"] + 1); }, "x + x*c");
  pm.add((y + x) + x * c, [](const Match& m) { return m["y"] + m["x"] * (m["c"] + 1); }, "y + x + x*c");
  pm.add((y + x * c) + x, [](const Match& m) { return m["y"] + m["x"] * (m["c"] + 1); }, "y + x*c + x");
  pm.add(x + x, [](const Match& m) { return m["x"] * 2; }, "x + x -> x*2");
  pm.add((y + x) + x, [](const Match& m) { return m["y"] + m["x"] * 2; }, "y + x + x");
  pm.add((x + c) * -1, [](const Match& m) { return -m["x"] + -m["c"]; }, "-(x+c) -> -x + -c");
  pm.add(cvar("k") * (var("x", weakint()) + c),
         [](const Match& m) { return m["k"] * m["x"] + m["k"] * m["c"]; }, "k*(x+c) -> k*x + k*c");
  // ---- where folding ----
  pm.add(where(logical_not(var("cond", boolean())), var("t"), var("f")),
         [](const Match& m) { return m["f"].is_invalid() ? UOp() : m["cond"].where(m["f"], m["t"]); },
         "where(not c, t, f) -> where(c, f, t)");
  pm.add(where(var("cond", boolean()), var("t"), var("f")), fold_where_closure, "where closure");
  pm.add(P::op(groups::binary(), {where(var("c"), var("t"), var("f")), where(var("c"), var("tt"), var("ff"))})
             .named("alu"),
         [](const Match& m) {
           bool consts = (m["t"].is_const() && m["tt"].is_const()) || (m["f"].is_const() && m["ff"].is_const());
           if (!consts) return UOp();
           Ops op = m["alu"].op();
           return m["c"].where(m["t"].alu(op, m["tt"]), m["f"].alu(op, m["ff"]));
         },
         "alu of two wheres on one condition");
  pm.add((y + where(var("c"), var("t"), var("f"))) + where(var("c"), var("tt"), var("ff")),
         [](const Match& m) {
           bool consts = (m["t"].is_const() && m["tt"].is_const()) || (m["f"].is_const() && m["ff"].is_const());
           if (!consts) return UOp();
           return m["y"] + m["c"].where(m["t"] + m["tt"], m["f"] + m["ff"]);
         },
         "sum of two wheres on one condition");
  pm.add(where(var("c"), var("t"), P::cnst(0)) + where(var("c"), P::cnst(0), var("f")),
         [](const Match& m) { return m["c"].where(m["t"], m["f"]); }, "complementary zero branches");
  // ---- values known from bounds ----
  pm.add(P::op_any_srcs(OpSet{Ops::CMPLT, Ops::CMPNE, Ops::CMPEQ, Ops::FLOORDIV, Ops::FLOORMOD, Ops::CDIV, Ops::CMOD,
                              Ops::MAX, Ops::ADD, Ops::MUL, Ops::AND, Ops::OR, Ops::XOR, Ops::PARAM, Ops::SPECIAL,
                              Ops::AFTER, Ops::WHERE})
             .with_dtype(ints_or_bool())
             .named("x"),
         [](const Match& m) {
           const UOp& v = m["x"];
           if (v.is(Ops::WHERE) || has_invalid_src(v)) return UOp();
           Bounds b = v.bounds();
           if (b.lo != b.hi) return UOp();
           return v.dtype().is_bool() ? UOp::bool_const(b.lo != 0) : v.const_like(int64_t(b.lo));
         },
         "vmin == vmax -> constant");
  pm.add(P::op({Ops::RANGE}, {P::op({Ops::CONST})}).named("x"),
         [](const Match& m) { return m["x"].vmin() == m["x"].vmax() ? m["x"].const_like(int64_t(m["x"].vmin())) : UOp(); },
         "range of one iteration");
  // ---- max folding ----
  pm.add(where(lt(cvar("a"), var("b")), var("b"), cvar("c")),
         [](const Match& m) { return m["a"] == m["c"] ? m["a"].alu(Ops::MAX, m["b"]) : UOp(); }, "where(a<b, b, a) -> max");
  pm.add(where(lt(var("a"), cvar("b")), cvar("c"), var("a")),
         [](const Match& m) { return m["b"] == m["c"] ? m["a"].alu(Ops::MAX, m["b"]) : UOp(); }, "where(a<b, b, a) -> max");
  pm.add(maximum(x, y),
         [](const Match& m) {
           const UOp &a = m["x"], &b = m["y"];
           if (a.dtype().is_float()) return UOp();
           return a.vmin() >= b.vmax() ? a : a.vmax() <= b.vmin() ? b : UOp();
         },
         "max decided by bounds");
  // ---- two-stage constant folding for associative ops: (x op c1) op c2 -> x op (c1 op c2) ----
  groups::associative().for_each([&pm](Ops op) {
    pm.add(P::op({op}, {P::op({op}, {var("x"), cvar("c1")}), cvar("c2")}).named("f"),
           [op](const Match& m) { return m["x"].alu(op, m["c1"].alu(op, m["c2"])); },
           "(x op c1) op c2 -> x op (c1 op c2)");
  });
  pm.add(floordiv(floordiv(x, c1), cvar("c2")),
         [](const Match& m) {
           if (m["c2"].ival() <= 0 || m["c1"].ival() == 0) return UOp();
           auto prod = fit(i128(m["c1"].ival()) * m["c2"].ival());
           return prod ? m["x"].floordiv(*prod) : UOp();
         },
         "(x//c1)//c2 -> x//(c1*c2)");
  // ---- comparisons ----
  pm.add(lt(c0 + var("x", ints()), c1),
         [](const Match& m) {
           auto d = fit(i128(m["c1"].ival()) - m["c0"].ival());
           return d ? m["x"].lt(*d) : UOp();
         },
         "c0+x < c1 -> x < c1-c0");
  pm.add(lt(c0 * var("x", weakint()), c1),
         [](const Match& m) {
           i128 k = m["c0"].ival(), bound = m["c1"].ival();
           i128 a = k < 0 ? -k : k;
           if (a <= 1) return UOp();
           auto ceil = fit(-floordiv(-bound, a));  // x*k < c  <=>  sign(k)*x < ceil(c/|k|)
           if (!ceil) return UOp();
           return (k > 0 ? m["x"] : -m["x"]).lt(*ceil);
         },
         "c0*x < c1 -> sign(c0)*x < ceil(c1/|c0|)");
  pm.add(lt(floordiv(var("x", weakint()), cvar("d")), c),
         [](const Match& m) {
           const int64_t d = m["d"].ival();
           auto cd = fit(i128(m["c"].ival()) * d);
           if (!cd || d == 0) return UOp();
           return d > 0 ? m["x"].lt(*cd) : m["x"].const_like(*cd).lt(m["x"]);
         },
         "x//d < c -> x < c*d");
  // ---- move constants to the end ----
  pm.add((x + c1) + y, [](const Match& m) { return m["y"].is_const() ? UOp() : (m["x"] + m["y"]) + m["c1"]; },
         "(x+c)+y -> (x+y)+c");
  pm.add((x * c1) * y, [](const Match& m) { return m["y"].is_const() ? UOp() : (m["x"] * m["y"]) * m["c1"]; },
         "(x*c)*y -> (x*y)*c");
  // ---- generic lt folding ----
  pm.add(lt(var("x", weakint()), c),
         [](const Match& m) { return m["c"].ival() > 0 ? lt_folding(m["x"], m["c"].ival()) : UOp(); }, "lt folding");
  pm.add(lt(var("x", weakint()) * -1, var("y") * -1), [](const Match& m) { return m["y"].lt(m["x"]); },
         "-x < -y -> y < x");
  pm.add(logical_not(lt(var("x", weakint()), 1)),
         [](const Match& m) {
           UOp nx = canonicalize_simplex(m["x"]);
           return nx ? nx.lt(1).logical_not() : UOp();
         },
         "canonical simplex");
  pm.add(P::op({Ops::RANGE}, {var("end")}).named("r") % var("end"), [](const Match& m) { return m["r"]; },
         "range % end -> range");
  pm.add(floordiv(P::op({Ops::RANGE}, {var("end")}).named("r"), var("end")),
         [](const Match& m) { return m["r"].const_like(0); }, "range // end -> 0");
  // ---- casts ----
  pm.add(cast(cast(x).named("a")).named("b"),
         [](const Match& m) {
           return can_lossless_cast(m["x"].dtype(), m["a"].dtype()) ? m["x"].cast(m["b"].dtype()) : UOp();
         },
         "cast chain without narrowing");
  pm.add(cast(cast(var("x", ints()), ints()).named("a")).named("b"),
         [](const Match& m) {
           const DType a = m["a"].dtype();
           bool fits = a.min_value() <= m["x"].vmin() && m["x"].vmax() <= a.max_value();
           return fits ? m["x"].cast(m["b"].dtype()) : UOp();
         },
         "cast chain whose middle holds the value");
  return pm;
}

}  // namespace

const PatternMatcher& symbolic() {
  static const PatternMatcher pm = symbolic_simple() + commutative_rules() + phase2_rules() + div_and_mod();
  return pm;
}

UOp symbolic_rewrite(const UOp& u) { return u.is_const() ? u : graph_rewrite(u, symbolic(), "symbolic"); }

namespace {
// Symbolic dimensions live in canonical form (uop/shape.h), so that B*784 built twice is one node.
const bool dims_simplified = (set_dim_simplifier([](const UOp& u) { return symbolic_rewrite(u); }), true);
}  // namespace

UOp rules::no_larger_than(const UOp& input, const UOp& rewritten) {
  return node_count(rewritten) <= node_count(input) ? rewritten : input;
}

UOp simplify(const UOp& u) { return rules::no_larger_than(u, symbolic_rewrite(u)); }

}  // namespace anneal
