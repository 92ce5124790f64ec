// Property test of the symbolic rules: random integer expressions keep their value.
//
// The oracle is independent of the compiler: expressions are generated as a small tree local to
// this file and evaluated with Python's semantics (floor division and modulo). The same tree is
// lowered to UOps, simplified, and the simplified graph is evaluated by a naive interpreter over
// UOps (also local to this file). For each expression we check, at random points of the variable
// ranges: the values agree, the simplified bounds contain the value, and simplification never
// increases the node count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <unordered_map>

#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"

using namespace anneal;

namespace {

i128 py_floordiv(i128 a, i128 b) {
  i128 q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
i128 py_mod(i128 a, i128 b) { return a - py_floordiv(a, b) * b; }

// ---- the oracle: a tiny typed expression tree --------------------------------------------------
enum class K { Const, Var, Add, Sub, Mul, FloorDiv, Mod, Neg, Min, Max, Where, Lt, Le, Eq, Ne, And, Or, Not, BoolToInt, IntToBool };

struct Expr {
  K kind;
  int64_t value = 0;  // Const value or Var index
  std::vector<std::shared_ptr<Expr>> kids;
  bool is_bool() const {
    switch (kind) {
      case K::Lt: case K::Le: case K::Eq: case K::Ne: case K::And: case K::Or: case K::Not: case K::IntToBool: return true;
      default: return false;
    }
  }
};
using E = std::shared_ptr<Expr>;

i128 eval(const Expr& e, const std::vector<int64_t>& env) {
  auto k = [&](size_t i) { return eval(*e.kids[i], env); };
  switch (e.kind) {
    case K::Const: return e.value;
    case K::Var: return env[size_t(e.value)];
    case K::Add: return k(0) + k(1);
    case K::Sub: return k(0) - k(1);
    case K::Mul: return k(0) * k(1);
    case K::FloorDiv: return py_floordiv(k(0), k(1));
    case K::Mod: return py_mod(k(0), k(1));
    case K::Neg: return -k(0);
    case K::Min: return std::min(k(0), k(1));
    case K::Max: return std::max(k(0), k(1));
    case K::Where: return k(0) ? k(1) : k(2);
    case K::Lt: return k(0) < k(1);
    case K::Le: return k(0) <= k(1);
    case K::Eq: return k(0) == k(1);
    case K::Ne: return k(0) != k(1);
    case K::And: return k(0) && k(1);
    case K::Or: return k(0) || k(1);
    case K::Not: return !k(0);
    case K::BoolToInt: return k(0);
    case K::IntToBool: return k(0) != 0;
  }
  return 0;
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  int nvars = 1;

  E gen(bool want_bool, int depth) {
    return want_bool ? gen_bool(depth) : gen_int(depth);
  }

  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  E node(K k, std::vector<E> kids, int64_t v = 0) { return std::make_shared<Expr>(Expr{k, v, std::move(kids)}); }
  E leaf() {
    if (pick(0, 2) == 0) return node(K::Const, {}, pick(-12, 12));
    return node(K::Var, {}, pick(0, nvars - 1));
  }
  E divisor() {
    int64_t c = 0;
    while (c == 0) c = pick(0, 3) == 0 ? pick(-9, 9) : pick(1, 16);
    return node(K::Const, {}, c);
  }
  E gen_int(int depth) {
    if (depth == 0 || pick(0, 5) == 0) return leaf();
    switch (pick(0, 12)) {
      case 0: case 1: return node(K::Add, {gen_int(depth - 1), gen_int(depth - 1)});
      case 2: return node(K::Sub, {gen_int(depth - 1), gen_int(depth - 1)});
      case 3: case 4: return node(K::Mul, {gen_int(depth - 1), pick(0, 1) ? leaf() : gen_int(depth - 1)});
      case 5: case 6: return node(K::FloorDiv, {gen_int(depth - 1), divisor()});
      case 7: case 8: return node(K::Mod, {gen_int(depth - 1), divisor()});
      case 9: return node(K::Neg, {gen_int(depth - 1)});
      case 10: return node(pick(0, 1) ? K::Min : K::Max, {gen_int(depth - 1), gen_int(depth - 1)});
      case 11: return node(K::Where, {gen_bool(depth - 1), gen_int(depth - 1), gen_int(depth - 1)});
      default: return node(K::BoolToInt, {gen_bool(depth - 1)});
    }
  }
  E gen_bool(int depth) {
    if (depth == 0) return node(K::Lt, {leaf(), leaf()});
    switch (pick(0, 8)) {
      case 0: case 1: return node(K::Lt, {gen_int(depth - 1), gen_int(depth - 1)});
      case 2: return node(K::Le, {gen_int(depth - 1), gen_int(depth - 1)});
      case 3: return node(K::Eq, {gen_int(depth - 1), gen_int(depth - 1)});
      case 4: return node(K::Ne, {gen_int(depth - 1), gen_int(depth - 1)});
      case 5: return node(K::And, {gen_bool(depth - 1), gen_bool(depth - 1)});
      case 6: return node(K::Or, {gen_bool(depth - 1), gen_bool(depth - 1)});
      case 7: return node(K::Not, {gen_bool(depth - 1)});
      default: return node(K::IntToBool, {gen_int(depth - 1)});
    }
  }
  std::mt19937_64 rng_;
};

// ---- lowering to UOps, the way a frontend would -----------------------------------------------
UOp lower(const Expr& e, const std::vector<UOp>& vars) {
  auto k = [&](size_t i) { return lower(*e.kids[i], vars); };
  switch (e.kind) {
    case K::Const: return UOp::int_const(e.value);
    case K::Var: return vars[size_t(e.value)];
    case K::Add: return k(0) + k(1);
    case K::Sub: return k(0) - k(1);
    case K::Mul: return k(0) * k(1);
    case K::FloorDiv: return k(0).floordiv(k(1));
    case K::Mod: return k(0) % k(1);
    case K::Neg: return -k(0);
    case K::Min: return k(0).minimum(k(1));
    case K::Max: return k(0).maximum(k(1));
    case K::Where: return k(0).where(k(1), k(2));
    case K::Lt: return k(0).lt(k(1));
    case K::Le: return k(0).lt(k(1) + 1);
    case K::Eq: return k(0).eq(k(1));
    case K::Ne: return k(0).ne(k(1));
    case K::And: return k(0) & k(1);
    case K::Or: return k(0) | k(1);
    case K::Not: return k(0).logical_not();
    case K::BoolToInt: return k(0).cast(dtypes::weakint);
    case K::IntToBool: return k(0).ne(UOp::int_const(0));
  }
  return UOp();
}

// ---- a naive interpreter of UOp graphs ------------------------------------------------------------
i128 interpret(const UOp& root, const std::unordered_map<std::string, int64_t>& env) {
  std::unordered_map<const void*, i128> val;
  for (const UOp& u : toposort(root)) {
    auto s = [&](size_t i) { return val.at(u.src(i).get()); };
    i128 v = 0;
    switch (u.op()) {
      case Ops::CONST: v = u.const_value().as_int(); break;
      case Ops::PARAM: v = env.at(u.arg().as<ParamArg>()->name); break;
      case Ops::ADD: v = s(0) + s(1); break;
      case Ops::MUL: v = s(0) * s(1); break;
      case Ops::FLOORDIV: v = py_floordiv(s(0), s(1)); break;
      case Ops::FLOORMOD: v = py_mod(s(0), s(1)); break;
      case Ops::CDIV: v = s(0) / s(1); break;
      case Ops::CMOD: v = s(0) % s(1); break;
      case Ops::MAX: v = std::max(s(0), s(1)); break;
      case Ops::CMPLT: v = s(0) < s(1); break;
      case Ops::CMPNE: v = s(0) != s(1); break;
      case Ops::CMPEQ: v = s(0) == s(1); break;
      case Ops::AND: v = u.dtype().is_bool() ? i128(s(0) && s(1)) : (s(0) & s(1)); break;
      case Ops::OR: v = u.dtype().is_bool() ? i128(s(0) || s(1)) : (s(0) | s(1)); break;
      case Ops::XOR: v = s(0) ^ s(1); break;
      case Ops::NEG: v = -s(0); break;
      case Ops::WHERE: v = s(0) ? s(1) : s(2); break;
      case Ops::CAST: v = u.dtype().is_bool() ? i128(s(0) != 0) : s(0); break;
      default: ADD_FAILURE() << "interpreter has no rule for " << op_name(u.op()); break;
    }
    val.emplace(u.get(), v);
  }
  return val.at(root.get());
}

// Expressions must stay within the weakint domain (int64) everywhere, as index math does.
bool within_domain(const UOp& u) {
  constexpr i128 kLimit = i128(1) << 50;
  for (const UOp& n : toposort(u))
    if (n.vmin() < -kLimit || n.vmax() > kLimit) return false;
  return true;
}

uint64_t seed_from_env() {
  const char* s = std::getenv("ANNEAL_PROPERTY_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261125;
}

struct Stats {
  int expressions = 0, points = 0;
  size_t nodes_before = 0, nodes_after = 0;
  int grown = 0;  // canonical forms larger than their input (then simplify keeps the input)
};

// `simplifier` is the user-facing simplifier (checked for size), `canonical` the raw rule rewrite
// whose values are checked too, so a sound-looking result cannot hide an unsound rule.
void run_property(UOp (*simplifier)(const UOp&), UOp (*canonical)(const UOp&), const char* name, int wanted) {
  const uint64_t seed = seed_from_env();
  Generator g(seed);
  Stats st;
  for (int attempt = 0; st.expressions < wanted; ++attempt) {
    ASSERT_LT(attempt, wanted * 4) << "generator rejects too many expressions";
    g.nvars = int(g.pick(1, 3));
    std::vector<UOp> vars;
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (int i = 0; i < g.nvars; ++i) {
      int64_t lo = g.pick(-40, 30), hi = lo + g.pick(0, 60);
      ranges.push_back({lo, hi});
      vars.push_back(UOp::variable(std::string(1, char('a' + i)), lo, hi));
    }
    E tree = g.gen(g.pick(0, 4) == 0, int(g.pick(1, 6)));
    UOp original = lower(*tree, vars);
    if (!within_domain(original)) continue;
    ++st.expressions;
    UOp simplified = simplifier(original);
    UOp rewritten = canonical(original);
    const size_t before = node_count(original), after = node_count(simplified);
    st.grown += node_count(rewritten) > before;
    st.nodes_before += before;
    st.nodes_after += after;
    ASSERT_LE(after, before) << name << ": simplification grew the graph\n  in:  " << render(original)
                             << "\n  out: " << render(simplified);
    for (int p = 0; p < 12; ++p) {
      std::vector<int64_t> env;
      std::unordered_map<std::string, int64_t> named;
      for (int i = 0; i < g.nvars; ++i) {
        auto [lo, hi] = ranges[size_t(i)];
        int64_t v = p == 0 ? lo : p == 1 ? hi : g.pick(lo, hi);
        env.push_back(v);
        named[std::string(1, char('a' + i))] = v;
      }
      const i128 want = eval(*tree, env);
      const i128 got = interpret(simplified, named);
      const i128 got_canonical = interpret(rewritten, named);
      ASSERT_EQ(int64_t(got_canonical), int64_t(want))
          << name << " rules changed the value (seed " << seed << ")\n  in:  " << render(original)
          << "\n  out: " << render(rewritten);
      ASSERT_LE(rewritten.vmin(), want) << name << ": bounds miss the value\n  out: " << render(rewritten);
      ASSERT_GE(rewritten.vmax(), want) << name << ": bounds miss the value\n  out: " << render(rewritten);
      ++st.points;
      ASSERT_EQ(int64_t(got), int64_t(want))
          << name << " changed the value (seed " << seed << ")\n  in:  " << render(original)
          << "\n  out: " << render(simplified) << "\n  at: " << [&] {
               std::string s;
               for (auto& [k, v] : named) s += k + "=" + std::to_string(v) + " ";
               return s;
             }();
      ASSERT_LE(simplified.vmin(), want) << name << ": bounds miss the value\n  out: " << render(simplified);
      ASSERT_GE(simplified.vmax(), want) << name << ": bounds miss the value\n  out: " << render(simplified);
      ASSERT_LE(original.vmin(), want);
      ASSERT_GE(original.vmax(), want);
    }
  }
  std::printf("[%s] %d expressions, %d points, nodes %zu -> %zu, canonical form larger in %d\n", name,
              st.expressions, st.points, st.nodes_before, st.nodes_after, st.grown);
}

}  // namespace

TEST(SymbolicProperty, SymbolicKeepsValuesOn10000Expressions) { run_property(simplify, symbolic_rewrite, "symbolic", 10000); }

TEST(SymbolicProperty, SymbolicWithValidityKeepsValuesOn10000Expressions) {
  run_property(simplify_full, sym_rewrite, "sym", 10000);
}
