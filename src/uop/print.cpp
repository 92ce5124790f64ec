#include "anneal/uop/print.h"

#include <sstream>
#include <unordered_map>

#include "anneal/uop/graph.h"

namespace anneal {

std::string to_string(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  std::string s;
  // Work with negative values so that the most negative i128 does not overflow on negation.
  for (i128 x = neg ? v : -v; x != 0; x /= 10) s.insert(s.begin(), char('0' - int(x % 10)));
  return neg ? "-" + s : s;
}

namespace {

// Precedence levels, loosest first (Python's).
enum Prec { kOr = 1, kAnd, kNot, kCompare, kAdd, kMul, kUnary, kAtom };

struct Rendered {
  std::string text;
  int prec;
};

bool is_neg_one(const UOp& u) { return u.is_const() && u.const_value() == ConstValue::integer(-1); }

std::string wrap(const Rendered& r, int min_prec) { return r.prec < min_prec ? "(" + r.text + ")" : r.text; }

Rendered render_node(const UOp& u, const std::unordered_map<const void*, Rendered>& done) {
  auto at = [&](size_t i) -> const Rendered& { return done.at(u.src(i).get()); };
  auto infix = [&](const char* op, int prec, bool right_tighter = true) {
    return Rendered{wrap(at(0), prec) + op + wrap(at(1), right_tighter ? prec + 1 : prec), prec};
  };
  switch (u.op()) {
    case Ops::CONST: {
      std::string s = u.const_value().str();
      return {s, s[0] == '-' ? kUnary : kAtom};
    }
    case Ops::PARAM: {
      const auto* p = u.arg().as<ParamArg>();
      return {p && !p->name.empty() ? p->name : "param" + std::to_string(p ? p->slot : 0), kAtom};
    }
    case Ops::ADD:
      // a + b*-1 reads as a - b
      if (u.src(1).is(Ops::MUL) && is_neg_one(u.src(1).src(1)))
        return {wrap(at(0), kAdd) + "-" + wrap(done.at(u.src(1).src(0).get()), kAdd + 1), kAdd};
      return infix("+", kAdd, false);
    case Ops::MUL:
      if (is_neg_one(u.src(1))) {
        // -(max(-a, -b)) reads as min(a, b)
        const UOp& m = u.src(0);
        if (m.is(Ops::MAX) && m.src(0).is(Ops::MUL) && is_neg_one(m.src(0).src(1)) && m.src(1).is(Ops::MUL) &&
            is_neg_one(m.src(1).src(1)))
          return {"min(" + done.at(m.src(0).src(0).get()).text + ", " + done.at(m.src(1).src(0).get()).text + ")",
                  kAtom};
        const std::string operand = wrap(at(0), kUnary);
        return {operand[0] == '-' ? "-(" + operand + ")" : "-" + operand, kUnary};
      }
      return infix("*", kMul, false);
    case Ops::FLOORDIV: return infix("//", kMul);
    case Ops::FLOORMOD: return infix("%", kMul);
    case Ops::CDIV: return {"cdiv(" + at(0).text + ", " + at(1).text + ")", kAtom};
    case Ops::CMOD: return {"cmod(" + at(0).text + ", " + at(1).text + ")", kAtom};
    case Ops::CMPLT: return infix("<", kCompare);
    case Ops::CMPEQ: return infix("==", kCompare);
    case Ops::CMPNE:
      if (u.src(1).is_const() && u.src(1).dtype().is_bool() && u.src(1).const_value().as_bool())
        return {"not " + wrap(at(0), kNot), kNot};
      return infix("!=", kCompare);
    case Ops::AND:
      if (u.dtype().is_bool()) return infix(" and ", kAnd, false);
      return infix("&", kMul, false);
    case Ops::OR:
      if (u.dtype().is_bool()) return infix(" or ", kOr, false);
      return infix("|", kMul, false);
    case Ops::XOR: return infix("^", kMul, false);
    case Ops::MAX: return {"max(" + at(0).text + ", " + at(1).text + ")", kAtom};
    case Ops::WHERE: return {"where(" + at(0).text + ", " + at(1).text + ", " + at(2).text + ")", kAtom};
    case Ops::CAST: return {std::string(u.dtype().name()) + "(" + at(0).text + ")", kAtom};
    default: {
      std::string s(op_name(u.op()));
      s += "(";
      for (size_t i = 0; i < u.num_srcs(); ++i) s += (i ? ", " : "") + at(i).text;
      if (!u.arg().empty()) s += std::string(u.num_srcs() ? ", " : "") + u.arg().str();
      return {s + ")", kAtom};
    }
  }
}

}  // namespace

std::string render(const UOp& root) {
  std::unordered_map<const void*, Rendered> done;
  for (const UOp& u : toposort(root)) done.emplace(u.get(), render_node(u, done));
  return done.at(root.get()).text;
}

std::string print_graph(const UOp& root) {
  std::unordered_map<const void*, size_t> ids;
  std::ostringstream os;
  for (const UOp& u : toposort(root)) {
    size_t id = ids.size();
    ids.emplace(u.get(), id);
    os << '%' << id << " = " << op_name(u.op()) << ' ' << u.dtype().name();
    if (u.num_srcs()) {
      os << " (";
      for (size_t i = 0; i < u.num_srcs(); ++i) os << (i ? ", %" : "%") << ids.at(u.src(i).get());
      os << ')';
    }
    if (!u.arg().empty()) os << ' ' << u.arg().str();
    if (u.tag()) os << " tag=" << u.tag();
    os << '\n';
  }
  return os.str();
}

}  // namespace anneal
