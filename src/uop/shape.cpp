#include "anneal/uop/shape.h"

#include <memory>
#include <span>
#include <vector>

#include "anneal/support/checked_int.h"
#include "anneal/support/error.h"

namespace anneal {
namespace {

const Arg::Tuple& tuple_arg(const UOp& u) {
  const Arg::Tuple* t = u.arg().as_tuple();
  check(t != nullptr, [&] { return std::string(op_name(u.op())) + ": missing tuple arg"; });
  return *t;
}

Shape compute(const UOp& u) {
  auto src = [&](size_t i) -> const Shape& { return *u.src(i).get()->shape_.load(std::memory_order_acquire); };
  switch (u.op()) {
    case Ops::BUFFER: return {u.arg().as<BufferArg>()->size};
    case Ops::CONST: return {};
    case Ops::RESHAPE:
    case Ops::EXPAND: return tuple_arg(u);
    case Ops::PERMUTE: {
      const auto& order = tuple_arg(u);
      Shape out;
      for (int64_t a : order) out.push_back(src(0)[size_t(a)]);
      return out;
    }
    case Ops::PAD: {
      const auto& p = tuple_arg(u);
      Shape out = src(0);
      for (size_t i = 0; i < out.size(); ++i) out[i] += p[2 * i] + p[2 * i + 1];
      return out;
    }
    case Ops::SHRINK: {
      const auto& p = tuple_arg(u);
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
    case Ops::WINDOW: {  // (axis, k, s, d): axis i -> (i - d (k - 1) - 1) / s + 1 positions, k appended
      const auto& p = tuple_arg(u);
      Shape out = src(0);
      const size_t axis = size_t(p[0]);
      out[axis] = (out[axis] - p[3] * (p[1] - 1) - 1) / p[2] + 1;
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

// Several threads may fill the cache of a shared node at once: the first to publish its (equal) shape
// wins and the others drop theirs, so a published shape never changes while a reference to it lives.
const Shape& shape_of(const UOp& root) {
  auto cached = [](const UOp& u) { return u.get()->shape_.load(std::memory_order_acquire); };
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
    const Shape* expected = nullptr;
    if (u->get()->shape_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) fresh.release();
  }
  return *cached(root);
}

// Checked because shapes can come from files and flags: an overflowing product must be an error,
// not a wrapped size that a later allocation or index trusts.
int64_t numel(const Shape& s) {
  const std::optional<int64_t> n = checked_product(std::span<const int64_t>(s));
  check(n.has_value(), [&] { return "shape " + shape_str(s) + " has more elements than an int64 can count"; });
  return *n;
}

std::string shape_str(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

}  // namespace anneal
