#include "anneal/uop/shape.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <unordered_map>
#include <vector>

#include "anneal/support/checked_int.h"
#include "anneal/support/error.h"
#include "anneal/uop/exec_alu.h"

namespace anneal {
namespace {

DimSimplifier simplifier = nullptr;

const Arg::Tuple& tuple_arg(const UOp& u) {
  const Arg::Tuple* t = u.arg().as_tuple();
  check(t != nullptr, [&] { return std::string(op_name(u.op())) + ": missing tuple arg"; });
  return *t;
}

int64_t checked(std::optional<int64_t> v, const char* what) {
  check(v.has_value(), [&] { return std::string("shape arithmetic: ") + what + " overflows int64"; });
  return *v;
}

// Rebuilds a dimension expression bottom-up, mapping its leaves (BIND, PARAM) with `leaf`.
template <class Leaf>
UOp map_leaves(const UOp& u, Leaf&& leaf, std::unordered_map<const void*, UOp>& memo) {
  if (auto it = memo.find(u.get()); it != memo.end()) return it->second;
  UOp r;
  if (u.is(Ops::BIND) || u.is(Ops::PARAM)) {
    r = leaf(u);
  } else if (u.num_srcs() == 0) {
    r = u;
  } else {
    std::vector<UOp> srcs;
    for (const UOp& s : u.srcs()) srcs.push_back(map_leaves(s, leaf, memo));
    r = u.replace_srcs(srcs);
  }
  memo.emplace(u.get(), r);
  return r;
}

// The value of an integer expression whose leaves are constants or bound variables.
int64_t evaluate(const UOp& u, const Dim& whole) {
  if (u.is_const()) return u.ival();
  if (u.is(Ops::BIND)) return u.src(1).ival();
  if (u.is(Ops::PARAM)) {
    const auto* p = u.arg().as<ParamArg>();
    throw Error("variable '" + (p ? p->name : std::string("?")) + "' in dimension " + whole.str() +
                " is not bound to a value (bind it: Variable::bind)");
  }
  std::vector<ConstValue> args;
  for (const UOp& s : u.srcs()) args.push_back(ConstValue::integer(evaluate(s, whole)));
  const std::optional<ConstValue> v = exec_alu(u.op(), u.dtype(), u.src(0).dtype(), args);
  check(v.has_value(), [&] { return "dimension " + whole.str() + " has no value (" + std::string(op_name(u.op())) + ")"; });
  return v->as_int();
}

std::string expr_str(const UOp& u) {
  switch (u.op()) {
    case Ops::CONST: return std::to_string(u.ival());
    case Ops::BIND: return expr_str(u.src(0));
    case Ops::PARAM: return u.arg().as<ParamArg>()->name;
    case Ops::ADD: return "(" + expr_str(u.src(0)) + "+" + expr_str(u.src(1)) + ")";
    case Ops::MUL: return expr_str(u.src(0)) + "*" + expr_str(u.src(1));
    case Ops::FLOORDIV: return "(" + expr_str(u.src(0)) + "//" + expr_str(u.src(1)) + ")";
    case Ops::FLOORMOD: return "(" + expr_str(u.src(0)) + "%" + expr_str(u.src(1)) + ")";
    case Ops::MAX: return "max(" + expr_str(u.src(0)) + ", " + expr_str(u.src(1)) + ")";
    default: return std::string(op_name(u.op())) + "(...)";
  }
}

Shape compute(const UOp& u) {
  auto src = [&](size_t i) -> const Shape& { return *static_cast<const Shape*>(u.src(i).get()->shape_.load(std::memory_order_acquire)); };
  switch (u.op()) {
    case Ops::BUFFER: return {u.arg().as<BufferArg>()->size};
    case Ops::CONST:
    case Ops::BIND:
    case Ops::PARAM: return {};
    case Ops::RESHAPE:
    case Ops::EXPAND: return movement_dims(u);
    case Ops::PERMUTE: {
      const auto& order = tuple_arg(u);
      Shape out;
      for (int64_t a : order) out.push_back(src(0)[size_t(a)]);
      return out;
    }
    case Ops::PAD: {
      const std::vector<Dim> p = movement_dims(u);
      Shape out = src(0);
      for (size_t i = 0; i < out.size(); ++i) out[i] = out[i] + p[2 * i] + p[2 * i + 1];
      return out;
    }
    case Ops::SHRINK: {
      const std::vector<Dim> p = movement_dims(u);
      Shape out = src(0);
      for (size_t i = 0; i < out.size(); ++i) out[i] = p[2 * i + 1] - p[2 * i];
      return out;
    }
    case Ops::REDUCE: {
      const auto& p = tuple_arg(u);
      Shape out = src(0);
      for (size_t i = 1; i < p.size(); ++i) out[size_t(p[i])] = 1;
      return out;
    }
    case Ops::ARANGE: return {tuple_arg(u)[0]};  // (n): 0, 1, ..., n-1
    case Ops::WINDOW: {  // (axis, k, s, d): axis i -> (i - d (k - 1) - 1) / s + 1 positions, k appended
      const auto& p = tuple_arg(u);
      Shape out = src(0);
      const size_t axis = size_t(p[0]);
      out[axis] = (out[axis].value() - p[3] * (p[1] - 1) - 1) / p[2] + 1;
      out.push_back(p[1]);
      return out;
    }
    default:
      if (u.num_srcs() == 0) return {};
      // Elementwise and pass-through ops: the shape of the first shaped source (ALU sources are equal;
      // WHERE's condition too).
      return src(u.is(Ops::WHERE) ? 1 : 0);
  }
}

}  // namespace

void set_dim_simplifier(DimSimplifier f) { simplifier = f; }

namespace detail {
void delete_shape(const void* shape) noexcept { delete static_cast<const Shape*>(shape); }
}  // namespace detail

namespace {

// The canonical form of a dimension expression. Graphs are rebuilt every training step with the same
// sizes (interned: the same nodes), so the forms are remembered: a rewrite per size would cost more
// than the rest of building the step's graph.
UOp canonical_dim(const UOp& expr) {
  if (!simplifier || expr.num_srcs() == 0 || expr.is(Ops::BIND)) return expr;
  static std::mutex mu;
  static auto& known = *new std::unordered_map<UOp, UOp>();  // immortal: holds UOps past main
  {
    const std::lock_guard<std::mutex> lock(mu);
    if (auto it = known.find(expr); it != known.end()) return it->second;
  }
  UOp e = simplifier(expr);
  const std::lock_guard<std::mutex> lock(mu);
  if (known.size() >= 4096) known.clear();  // bounded: programs that never repeat a size
  known.emplace(expr, e);
  return e;
}

}  // namespace

Dim::Dim(const UOp& expr) {
  check(bool(expr) && (expr.dtype().is_int()), "Dim: a symbolic dimension must be an integer expression");
  UOp e = canonical_dim(expr);
  if (e.is_const()) c_ = e.ival();
  else s_ = std::move(e);
}

int64_t Dim::value() const {
  check(!s_, [&] { return "dimension " + str() + " is symbolic where this operation needs a constant"; });
  return c_;
}

UOp Dim::uop() const { return s_ ? s_ : UOp::int_const(c_); }
int64_t Dim::vmin() const { return s_ ? int64_t(s_.vmin()) : c_; }
int64_t Dim::vmax() const { return s_ ? int64_t(s_.vmax()) : c_; }
int64_t Dim::bound_value() const { return s_ ? evaluate(s_, *this) : c_; }

Dim Dim::unbound() const {
  if (!s_) return *this;
  std::unordered_map<const void*, UOp> memo;
  return Dim(map_leaves(s_, [](const UOp& l) { return l.is(Ops::BIND) ? l.src(0) : l; }, memo));
}

Dim Dim::rebound(const std::vector<std::pair<UOp, int64_t>>& values) const {
  if (!s_) return *this;
  std::unordered_map<const void*, UOp> memo;
  return Dim(map_leaves(s_, [&](const UOp& l) {
    const UOp var = l.is(Ops::BIND) ? l.src(0) : l;
    for (const auto& [v, x] : values)
      if (v == var) return UOp::make(Ops::BIND, var.dtype(), {var, UOp::int_const(x, var.dtype())});
    return l;
  }, memo));
}

void bindings_of(const Shape& s, std::vector<std::pair<UOp, int64_t>>& out) {
  for (const Dim& d : s) {
    if (d.is_const()) continue;
    std::vector<UOp> stack{d.uop()};
    while (!stack.empty()) {
      const UOp u = stack.back();
      stack.pop_back();
      if (u.is(Ops::BIND)) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == u.src(0); });
        if (!seen) out.emplace_back(u.src(0), u.src(1).ival());
        continue;
      }
      for (const UOp& x : u.srcs()) stack.push_back(x);
    }
  }
}

Dim operator+(const Dim& a, const Dim& b) {
  if (a.is_const() && b.is_const()) return checked(checked_add(a.c_, b.c_), "a sum of dimensions");
  if (b == 0) return a;
  if (a == 0) return b;
  return Dim(a.uop() + b.uop());
}
Dim operator-(const Dim& a, const Dim& b) {
  if (a.is_const() && b.is_const()) return a.c_ - b.c_;
  if (a == b) return 0;
  if (b == 0) return a;
  return Dim(a.uop() - b.uop());
}
Dim operator*(const Dim& a, const Dim& b) {
  if (a.is_const() && b.is_const()) return checked(checked_mul(a.c_, b.c_), "a product of dimensions");
  if (a == 1) return b;
  if (b == 1) return a;
  if (a == 0 || b == 0) return 0;
  return Dim(a.uop() * b.uop());
}
Dim Dim::floordiv(const Dim& d) const {
  check(!(d == 0), "shape arithmetic: division by a zero dimension");
  if (is_const() && d.is_const()) return Dim(UOp::int_const(c_).floordiv(UOp::int_const(d.c_)));
  if (d == 1) return *this;
  return Dim(uop().floordiv(d.uop()));
}

std::string Dim::str() const {
  if (!s_) return std::to_string(c_);
  std::string s = expr_str(s_);
  if (s.size() > 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  return s;
}

void Dim::hash(Hasher& h) const {
  h.word(s_ ? 1 : 0);
  if (s_) h.key(s_.key());
  else h.word(uint64_t(c_));
}

std::ostream& operator<<(std::ostream& os, const Dim& d) { return os << d.str(); }

bool DimsArg::equals(const ArgObject& other) const {
  const auto* o = dynamic_cast<const DimsArg*>(&other);
  return o && o->dims == dims;
}
void DimsArg::hash(Hasher& h) const {
  h.word(0xD1D5);
  h.word(dims.size());
  for (const Dim& d : dims) d.hash(h);
}
std::string DimsArg::str() const {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + dims[i].str();
  return s + ")";
}

std::vector<Dim> movement_dims(const UOp& u) {
  if (const auto* d = u.arg().as<DimsArg>()) return d->dims;
  const Arg::Tuple& t = tuple_arg(u);
  return std::vector<Dim>(t.begin(), t.end());
}

Arg movement_arg(const std::vector<Dim>& dims) {
  if (!is_symbolic(dims)) {
    Arg::Tuple t;
    for (const Dim& d : dims) t.push_back(d.value());
    return Arg(std::move(t));
  }
  auto a = std::make_shared<DimsArg>();
  a->dims = dims;
  return Arg(Arg::Object(std::move(a)));
}

bool is_symbolic(const Shape& s) {
  for (const Dim& d : s)
    if (d.is_symbolic()) return true;
  return false;
}

// Several threads may fill the cache of a shared node at once: the first to publish its (equal) shape
// wins and the others drop theirs, so a published shape never changes while a reference to it lives.
const Shape& shape_of(const UOp& root) {
  auto cached = [](const UOp& u) { return static_cast<const Shape*>(u.get()->shape_.load(std::memory_order_acquire)); };
  if (const Shape* s = cached(root)) return *s;
  std::vector<std::pair<const UOp*, bool>> stack{{&root, false}};
  while (!stack.empty()) {
    auto [u, expanded] = stack.back();
    stack.pop_back();
    if (cached(*u)) continue;
    if (!expanded) {
      stack.push_back({u, true});
      for (const UOp& s : u->srcs())
        if (!cached(s)) stack.push_back({&s, false});
      continue;
    }
    auto fresh = std::make_unique<const Shape>(compute(*u));
    const void* expected = nullptr;
    if (u->get()->shape_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) fresh.release();
  }
  return *cached(root);
}

// Checked because shapes can come from files and flags: an overflowing product must be an error,
// not a wrapped size that a later allocation or index trusts.
int64_t numel(const Shape& s) {
  std::vector<int64_t> v = const_shape(s);
  const std::optional<int64_t> n = checked_product(std::span<const int64_t>(v));
  check(n.has_value(), [&] { return "shape " + shape_str(s) + " has more elements than an int64 can count"; });
  return *n;
}

Dim sym_numel(const Shape& s) {
  Dim n = 1;
  for (const Dim& d : s) n = n * d;
  return n;
}

int64_t max_numel(const Shape& s) {
  std::vector<int64_t> v;
  for (const Dim& d : s) v.push_back(d.vmax());
  const std::optional<int64_t> n = checked_product(std::span<const int64_t>(v));
  check(n.has_value(), [&] { return "shape " + shape_str(s) + " has more elements than an int64 can count"; });
  return *n;
}

int64_t bound_numel(const Shape& s) { return numel(bound_shape(s)); }

Shape bound_shape(const Shape& s) {
  Shape out;
  for (const Dim& d : s) out.push_back(d.bound_value());
  return out;
}

std::vector<int64_t> const_shape(const Shape& s) {
  std::vector<int64_t> v;
  for (const Dim& d : s) {
    check(d.is_const(), [&] { return "shape " + shape_str(s) + " is symbolic where this operation needs a constant shape"; });
    v.push_back(d.value());
  }
  return v;
}

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + s[i].str();
  return out + (s.size() == 1 ? ",)" : ")");
}

std::string shape_str(const std::vector<int64_t>& s) { return shape_str(Shape(s.begin(), s.end())); }

Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

}  // namespace anneal
