#include "viz/tensor_expression.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "anneal/uop/shape.h"

namespace anneal::viz {
namespace {

// Precedence, loosest first.
enum Prec { kCompare = 1, kAdd, kMul, kUnary, kAtom };

struct Rendered {
  std::string text;
  int prec = kAtom;
};

std::string wrap(const Rendered& r, int min_prec) { return r.prec < min_prec ? "(" + r.text + ")" : r.text; }

// The CONST under a chain of movement ops (how the tensor layer broadcasts a scalar), or null.
const UOp* broadcast_constant(const UOp& u) {
  const UOp* n = &u;
  while (groups::movement().contains(n->op())) n = &n->src(0);
  return n->is_const() ? n : nullptr;
}

bool is_constant(const UOp& u, double v) {
  const UOp* c = broadcast_constant(u);
  return c && !c->const_value().is_invalid() && c->const_value().as_float() == v;
}

std::string number_text(const UOp& c) {
  const ConstValue& v = c.const_value();
  if (c.dtype().is_bool()) return v.as_bool() ? "True" : "False";
  if (!v.is_float()) return v.str();
  const double f = v.as_float();
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", f);
  return buf;
}

std::string list_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string dims_text(const std::vector<Dim>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + dims[i].str();
  return s + (dims.size() == 1 ? ",)" : ")");
}

std::string pairs_text(const std::vector<Dim>& dims) {
  std::string s = "(";
  for (size_t i = 0; i + 1 < dims.size(); i += 2) s += (i ? ", (" : "(") + dims[i].str() + ", " + dims[i + 1].str() + ")";
  return s + (dims.size() == 2 ? ",)" : ")");
}

std::vector<int64_t> flagged_axes(const Arg::Tuple& flags) {
  std::vector<int64_t> axes;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) axes.push_back(int64_t(i));
  return axes;
}

class Renderer {
 public:
  explicit Renderer(const std::unordered_map<const void*, std::string>& names) : names_(names) {}

  ExpressionText run(std::span<const UOp> roots) {
    std::vector<UOp> order;
    postorder(roots, order);
    for (const UOp& r : roots) ++uses_[r.get()];
    ExpressionText out;
    for (const UOp& u : order) {
      Rendered r = render(u);
      if (uses_[u.get()] > 1 && !is_leaf(u)) {
        const std::string name = "t" + std::to_string(out.definitions.size());
        out.definitions.push_back(name + " = " + r.text);
        r = {name, kAtom};
        hoisted_.insert(u.get());
      }
      done_.emplace(u.get(), std::move(r));
    }
    for (const UOp& r : roots) out.roots.push_back(done_.at(r.get()).text);
    return out;
  }

 private:
  bool is_leaf(const UOp& u) const { return names_.count(u.get()) || broadcast_constant(u); }
  // Whether `u` is spelled out where it is used (not a name, a constant or a definition), so that
  // a user may show it differently (b*-1 as "- b", 1/b as "/ b").
  bool inlined(const UOp& u) const { return !is_leaf(u) && !hoisted_.count(u.get()); }

  // Sources before users; named leaves and constants are not entered. Counts each node's users.
  void postorder(std::span<const UOp> roots, std::vector<UOp>& order) {
    std::unordered_map<const void*, bool> seen;
    std::vector<std::pair<UOp, bool>> stack;
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({*it, false});
    while (!stack.empty()) {
      auto [u, expanded] = stack.back();
      stack.pop_back();
      if (expanded) {
        order.push_back(u);
        continue;
      }
      if (seen.count(u.get())) continue;
      seen.emplace(u.get(), true);
      stack.push_back({u, true});
      if (is_leaf(u)) continue;
      for (size_t i = u.num_srcs(); i-- > 0;) {
        ++uses_[u.src(i).get()];
        stack.push_back({u.src(i), false});
      }
    }
  }

  const Rendered& at(const UOp& u) const { return done_.at(u.get()); }
  Rendered call(const std::string& fn, const std::string& args) const { return {fn + "(" + args + ")", kAtom}; }

  Rendered render(const UOp& u) const {
    if (auto it = names_.find(u.get()); it != names_.end()) return {it->second, kAtom};
    if (const UOp* c = broadcast_constant(u)) {
      const std::string t = number_text(*c);
      return {t, t[0] == '-' ? kUnary : kAtom};
    }
    auto src = [&](size_t i) -> const Rendered& { return at(u.src(i)); };
    auto args = [&] {
      std::string s;
      for (size_t i = 0; i < u.num_srcs(); ++i) s += (i ? ", " : "") + src(i).text;
      return s;
    };
    auto fn_name = [&] {
      std::string s(op_name(u.op()));
      for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      return s;
    };
    switch (u.op()) {
      case Ops::ADD:
        if (u.src(1).is(Ops::MUL) && inlined(u.src(1)) && is_constant(u.src(1).src(1), -1.0))  // a + b*-1 is a - b
          return {wrap(src(0), kAdd) + " - " + wrap(at(u.src(1).src(0)), kMul), kAdd};
        return {wrap(src(0), kAdd) + " + " + wrap(src(1), kAdd), kAdd};
      case Ops::MUL:
        if (is_constant(u.src(1), -1.0)) return {"-" + wrap(src(0), kUnary), kUnary};
        if (u.src(1).is(Ops::RECIPROCAL) && inlined(u.src(1)))  // a * (1/b) is a / b
          return {wrap(src(0), kMul) + "/" + wrap(at(u.src(1).src(0)), kUnary), kMul};
        return {wrap(src(0), kMul) + "*" + wrap(src(1), kMul), kMul};
      case Ops::RECIPROCAL: return {"1/" + wrap(src(0), kUnary), kMul};
      case Ops::CMPLT: return {wrap(src(0), kAdd) + " < " + wrap(src(1), kAdd), kCompare};
      case Ops::CMPEQ: return {wrap(src(0), kAdd) + " == " + wrap(src(1), kAdd), kCompare};
      case Ops::CMPNE:
      case Ops::XOR:
        if (u.dtype().is_bool() && is_constant(u.src(1), 1.0)) return {"not " + wrap(src(0), kUnary), kUnary};
        return {wrap(src(0), kAdd) + (u.is(Ops::XOR) ? " ^ " : " != ") + wrap(src(1), kAdd), kCompare};
      case Ops::CAST: return call(std::string(u.dtype().name()), src(0).text);
      case Ops::REDUCE: {
        const Arg::Tuple& a = *u.arg().as_tuple();
        const std::vector<int64_t> axes(a.begin() + 1, a.end());
        return call(Ops(a[0]) == Ops::ADD ? "sum" : "max", src(0).text + ", axes=" + list_text(axes));
      }
      case Ops::RESHAPE:
      case Ops::EXPAND: return call(fn_name(), src(0).text + ", " + dims_text(movement_dims(u)));
      case Ops::PAD:
      case Ops::SHRINK: return call(fn_name(), src(0).text + ", " + pairs_text(movement_dims(u)));
      case Ops::PERMUTE: return call("permute", src(0).text + ", " + list_text(*u.arg().as_tuple()));
      case Ops::FLIP: return call("flip", src(0).text + ", axes=" + list_text(flagged_axes(*u.arg().as_tuple())));
      case Ops::WINDOW: {
        const Arg::Tuple& a = *u.arg().as_tuple();
        return call("window", src(0).text + ", axis=" + std::to_string(a[0]) + ", k=" + std::to_string(a[1]) +
                                  ", stride=" + std::to_string(a[2]) + ", dilation=" + std::to_string(a[3]));
      }
      case Ops::BUFFER: return {"buffer" + u.arg().str(), kAtom};
      default: {
        // Functions of their sources (exp2, sqrt, max, where, pow, contiguous, ...), with the arg if any.
        std::string s = args();
        if (!u.arg().empty()) s += std::string(u.num_srcs() ? ", " : "") + u.arg().str();
        return call(fn_name(), s);
      }
    }
  }

  const std::unordered_map<const void*, std::string>& names_;
  std::unordered_map<const void*, size_t> uses_;
  std::unordered_map<const void*, Rendered> done_;
  std::unordered_set<const void*> hoisted_;
};

}  // namespace

ExpressionText render_expressions(std::span<const UOp> roots, const std::unordered_map<const void*, std::string>& names) {
  return Renderer(names).run(roots);
}

}  // namespace anneal::viz
