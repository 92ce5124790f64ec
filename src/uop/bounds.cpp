// Value bounds (vmin/vmax) by interval arithmetic, one node at a time from its sources' bounds.
#include <algorithm>
#include <optional>
#include <vector>

#include "anneal/uop/int_math.h"
#include "anneal/uop/uop.h"

namespace anneal {
namespace {

Bounds full_range(DType d) { return {d.min_value(), d.max_value()}; }

Bounds hull4(i128 a, i128 b, i128 c, i128 d) {
  return {std::min({a, b, c, d}), std::max({a, b, c, d})};
}

// Bounds of a binary op on integers or bools; nullopt means "only the dtype's range is known".
std::optional<Bounds> binary_bounds(Ops op, DType dtype, Bounds x, Bounds y) {
  const i128 a0 = x.lo, a1 = x.hi, b0 = y.lo, b1 = y.hi;
  const bool y_const = b0 == b1;
  switch (op) {
    case Ops::ADD: return Bounds{a0 + b0, a1 + b1};
    case Ops::SUB: return Bounds{a0 - b1, a1 - b0};
    case Ops::MUL: return hull4(a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    case Ops::MAX: return Bounds{std::max(a0, b0), std::max(a1, b1)};
    case Ops::CMPLT: return Bounds{a1 < b0, a0 < b1};
    case Ops::CMPNE: return Bounds{a1 < b0 || b1 < a0, !(a0 == a1 && a1 == b0 && b0 == b1)};
    case Ops::CMPEQ: return Bounds{a0 == a1 && a1 == b0 && b0 == b1, !(a1 < b0 || b1 < a0)};
    case Ops::AND:
      if (dtype.is_bool()) return Bounds{a0 && b0, a1 && b1};
      if (y_const && b0 >= 0) return Bounds{0, a0 < 0 ? b0 : std::min(a1, b0)};
      return std::nullopt;
    case Ops::OR:
      if (dtype.is_bool()) return Bounds{a0 || b0, a1 || b1};
      return std::nullopt;
    case Ops::XOR:
      if (y_const && b0 == -1) return Bounds{~a1, ~a0};
      return std::nullopt;
    case Ops::SHL:
      if (y_const && b0 >= 0 && b0 < 63) return Bounds{a0 * (i128(1) << int(b0)), a1 * (i128(1) << int(b0))};
      return std::nullopt;
    case Ops::SHR:
      if (y_const && b0 >= 0 && b0 < 63) return Bounds{a0 >> int(b0), a1 >> int(b0)};
      if (a0 >= 0 && b0 >= 0 && b1 < 63) return Bounds{a0 >> int(b1), a1 >> int(b0)};  // a shrinking shift
      return std::nullopt;
    case Ops::CDIV:
      if (b0 * b1 > 0) return hull4(a0 / b0, a0 / b1, a1 / b0, a1 / b1);
      return std::nullopt;
    case Ops::CMOD:
      if (y_const && b0 > 0)
        return Bounds{a0 > 0 ? 0 : (a0 > -b0 ? a0 : -(b0 - 1)), a1 < 0 ? 0 : (a1 < b0 ? a1 : b0 - 1)};
      if (b0 > 0) return a0 >= 0 ? Bounds{0, b1 - 1} : a1 <= 0 ? Bounds{-(b1 - 1), 0} : Bounds{-(b1 - 1), b1 - 1};
      if (b1 < 0) return a0 >= 0 ? Bounds{0, -b0 - 1} : a1 <= 0 ? Bounds{b0 + 1, 0} : Bounds{b0 + 1, -b0 - 1};
      return std::nullopt;
    case Ops::FLOORDIV:
      if (b0 * b1 > 0) return hull4(floordiv(a0, b0), floordiv(a0, b1), floordiv(a1, b0), floordiv(a1, b1));
      return std::nullopt;
    case Ops::FLOORMOD:
      if (y_const && b0 != 0) {
        if (floordiv(a0, b0) == floordiv(a1, b0)) return Bounds{floormod(a0, b0), floormod(a1, b0)};
        return b0 > 0 ? Bounds{0, b0 - 1} : Bounds{b0 + 1, 0};
      }
      if (b0 > 0) return Bounds{0, b1 - 1};
      if (b1 < 0) return Bounds{b0 + 1, 0};
      return std::nullopt;
    default: return std::nullopt;
  }
}

Bounds compute(const UOp& u) {
  const DType d = u.dtype();
  const bool int_like = d.is_int() || d.is_bool();
  std::optional<Bounds> b;
  switch (u.op()) {
    case Ops::CONST: {
      const ConstValue& v = u.const_value();
      if (int_like && !v.is_invalid()) {
        i128 x = d == dtypes::uint64 ? i128(uint64_t(v.as_int())) : i128(v.as_int());
        b = Bounds{x, x};
      }
      break;
    }
    case Ops::PARAM:
      if (const auto* p = u.arg().as<ParamArg>(); p && p->bounds) b = Bounds{p->bounds->first, p->bounds->second};
      break;
    case Ops::RANGE:
    case Ops::SPECIAL:
      if (u.num_srcs() > 0) b = Bounds{0, u.src(0).vmax() - 1};
      break;
    case Ops::BIND:  // a bound variable ranges as its variable: what is derived from it holds for every value
    case Ops::AFTER:
    case Ops::INDEX: b = u.src(0).bounds(); break;
    case Ops::STACK:
      if (u.num_srcs() > 0) {
        Bounds h = u.src(0).bounds();
        for (const UOp& s : u.srcs()) h = {std::min(h.lo, s.vmin()), std::max(h.hi, s.vmax())};
        b = h;
      }
      break;
    case Ops::CAST:
      if (int_like && (u.src(0).dtype().is_int() || u.src(0).dtype().is_bool())) {
        Bounds s = u.src(0).bounds();
        if (d.is_bool()) b = Bounds{s.lo > 0 || s.hi < 0, !(s.lo == 0 && s.hi == 0)};
        else b = s;  // out-of-range values are caught by the dtype clamp below
      }
      break;
    case Ops::NEG:
      if (int_like) b = Bounds{-u.src(0).vmax(), -u.src(0).vmin()};
      break;
    case Ops::TRUNC:
      if (int_like) b = u.src(0).bounds();
      break;
    case Ops::WHERE:
      if (int_like) {
        Bounds c = u.src(0).bounds(), t = u.src(1).bounds(), f = u.src(2).bounds();
        if (u.src(1).is_invalid()) b = f;
        else if (u.src(2).is_invalid()) b = t;
        else if (c.lo == 1) b = t;
        else if (c.hi == 0) b = f;
        else b = Bounds{std::min(t.lo, f.lo), std::max(t.hi, f.hi)};
      }
      break;
    default:
      if (is_binary(u.op())) {
        const DType operand = u.src(0).dtype();
        if (!operand.is_float() && !u.src(1).dtype().is_float() && (int_like || is_comparison(u.op())))
          b = binary_bounds(u.op(), d, u.src(0).bounds(), u.src(1).bounds());
      }
      break;
  }
  if (!int_like) return full_range(d);
  // A result outside the dtype would wrap: then only the dtype's range is known.
  if (!b || b->lo > b->hi || b->lo < d.min_value() || b->hi > d.max_value()) return full_range(d);
  return *b;
}

}  // namespace

namespace {

// bounds_state_ of a node: its bounds_ may be read only once the state is Ready (acquire).
enum BoundsState : uint8_t { kNone, kWriting, kReady };

const Bounds* cached_bounds(const detail::UOpNode* n) {
  return n->bounds_state_.load(std::memory_order_acquire) == kReady ? &n->bounds_ : nullptr;
}

// The first thread to claim the slot writes it; a thread that loses keeps its own (equal) value.
void publish_bounds(const detail::UOpNode* n, const Bounds& b) {
  uint8_t expected = kNone;
  if (!n->bounds_state_.compare_exchange_strong(expected, kWriting, std::memory_order_acquire)) return;
  n->bounds_ = b;
  n->bounds_state_.store(kReady, std::memory_order_release);
}

}  // namespace

Bounds UOp::bounds() const {
  if (const Bounds* b = cached_bounds(n_)) return *b;
  // Fill the caches of every uncomputed node below this one, sources first, without recursion. A
  // source another thread is still writing is recomputed by compute() through its own bounds().
  std::optional<Bounds> root;
  std::vector<std::pair<const UOp*, bool>> stack{{this, false}};
  while (!stack.empty()) {
    auto [u, expanded] = stack.back();
    stack.pop_back();
    const detail::UOpNode* n = u->get();
    if (cached_bounds(n)) continue;
    if (!expanded) {
      stack.push_back({u, true});
      for (const UOp& s : u->srcs())
        if (!cached_bounds(s.get())) stack.push_back({&s, false});
      continue;
    }
    const Bounds b = compute(*u);
    publish_bounds(n, b);
    if (n == n_) root = b;
  }
  if (const Bounds* b = cached_bounds(n_)) return *b;
  return *root;
}

}  // namespace anneal
