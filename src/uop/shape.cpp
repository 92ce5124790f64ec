#include "anneal/uop/shape.h"

#include <vector>

#include "anneal/support/error.h"

namespace anneal {
namespace {

const Arg::Tuple& tuple_arg(const UOp& u) {
  const Arg::Tuple* t = u.arg().as_tuple();
  check(t != nullptr, [&] { return std::string(op_name(u.op())) + ": missing tuple arg"; });
  return *t;
}

Shape compute(const UOp& u) {
  auto src = [&](size_t i) -> const Shape& { return *u.src(i).get()->shape_; };
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

const Shape& shape_of(const UOp& root) {
  if (root.get()->shape_) return *root.get()->shape_;
  std::vector<std::pair<const UOp*, bool>> stack{{&root, false}};
  while (!stack.empty()) {
    auto [u, expanded] = stack.back();
    stack.pop_back();
    if (u->get()->shape_) continue;
    if (!expanded) {
      stack.push_back({u, true});
      for (const UOp& s : u->srcs())
        if (!s.get()->shape_) stack.push_back({&s, false});
      continue;
    }
    u->get()->shape_ = std::make_shared<const Shape>(compute(*u));
  }
  return *root.get()->shape_;
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
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
