// Movement ops: each is one UOp carrying its arg; none of them copies data.
#include <algorithm>
#include <numeric>
#include <optional>

#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {

UOp movement(Ops op, const UOp& x, std::vector<int64_t> arg) {
  return UOp::make(op, x.dtype(), {x}, Arg(Arg::Tuple(std::move(arg))));
}

UOp movement(Ops op, const UOp& x, const std::vector<Dim>& arg) { return UOp::make(op, x.dtype(), {x}, movement_arg(arg)); }

namespace {

std::optional<int64_t> known_value(const Dim& d) {
  if (d.is_const()) return d.value();
  try {
    return d.bound_value();
  } catch (const Error&) {
    return std::nullopt;  // an unbound variable: only its range is known
  }
}

}  // namespace

bool dims_equal(const Dim& a, const Dim& b) {
  if (a == b) return true;
  if (a.is_const() && b.is_const()) return false;
  // A constant size seen as a bound symbolic one (a batch of 3 viewed as B = 3), or two expressions
  // of the same bound values.
  const std::optional<int64_t> va = known_value(a), vb = known_value(b);
  return va && vb && *va == *vb && (a.is_const() || b.is_const());
}

// For every value of the variables, or else for the values bound now (the graph holds those; another
// value builds another graph, checked again).
bool dim_at_most(const Dim& a, const Dim& b) {
  if (a.is_const() && b.is_const()) return a.value() <= b.value();
  if ((a.unbound() - b.unbound()).vmax() <= 0) return true;
  const std::optional<int64_t> va = known_value(a), vb = known_value(b);
  return va && vb && *va <= *vb;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  const int64_t a = axis < 0 ? axis + ndim : axis;
  check(a >= 0 && a < ndim, [&] {
    return std::string(op) + ": axis " + std::to_string(axis) + " is out of range for " + std::to_string(ndim) +
           " dimensions";
  });
  return a;
}

Tensor Tensor::reshape(Shape shape) const {
  Dim known = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer < 0, "reshape: only one dimension can be -1");
      infer = int64_t(i);
    } else {
      check(shape[i].vmin() >= 0, [&] { return "reshape: negative dimension in " + shape_str(shape); });
      known = known * shape[i];
    }
  }
  const Dim total = sym_numel(this->shape());
  if (infer >= 0) {
    const bool divides = known.is_const() && total.is_const() ? known.value() != 0 && total.value() % known.value() == 0
                                                               : !(known == 0);
    check(divides, [&] { return "reshape: cannot infer -1 reshaping " + shape_str(this->shape()) + " to " + shape_str(shape); });
    shape[size_t(infer)] = total.floordiv(known);
    known = known * shape[size_t(infer)];
  }
  check(dims_equal(known, total), [&] {
    return "reshape: cannot reshape " + shape_str(this->shape()) + " (" + total.str() + " elements) to " + shape_str(shape);
  });
  if (shape == this->shape()) return *this;
  return Tensor(movement(Ops::RESHAPE, uop(), shape));
}

Tensor Tensor::permute(std::vector<int64_t> order) const {
  check(int64_t(order.size()) == ndim(), [&] {
    return "permute: order has " + std::to_string(order.size()) + " axes, tensor " + shape_str(shape()) + " has " +
           std::to_string(ndim());
  });
  std::vector<bool> seen(order.size(), false);
  for (int64_t& a : order) {
    a = normalize_axis(a, ndim(), "permute");
    check(!seen[size_t(a)], "permute: repeated axis " + std::to_string(a));
    seen[size_t(a)] = true;
  }
  std::vector<int64_t> identity(order.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (order == identity) return *this;
  return Tensor(movement(Ops::PERMUTE, uop(), std::move(order)));
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  std::vector<int64_t> order(static_cast<size_t>(ndim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[size_t(normalize_axis(a, ndim(), "transpose"))], order[size_t(normalize_axis(b, ndim(), "transpose"))]);
  return permute(order);
}

Tensor Tensor::expand(Shape shape) const {
  check(shape.size() >= size_t(ndim()), [&] { return "expand: cannot expand " + shape_str(this->shape()) + " to " + shape_str(shape); });
  const size_t lead = shape.size() - size_t(ndim());
  Tensor x = lead ? [&] {
    Shape padded(lead, 1);
    padded.insert(padded.end(), this->shape().begin(), this->shape().end());
    return reshape(padded);
  }() : *this;
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim have = x.shape()[i];
    if (shape[i] == -1) shape[i] = have;
    check(have == shape[i] || have == 1, [&] {
      return "expand: cannot expand " + shape_str(this->shape()) + " to " + shape_str(shape) + " (dimension " +
             std::to_string(i) + " is " + have.str() + ", not 1)";
    });
  }
  if (shape == x.shape()) return x;
  return Tensor(movement(Ops::EXPAND, x.uop(), shape));
}

Tensor Tensor::pad(std::vector<std::pair<Dim, Dim>> padding, double value) const {
  check(padding.size() == size_t(ndim()), [&] {
    return "pad: " + std::to_string(padding.size()) + " (before, after) pairs for " + std::to_string(ndim()) + " dimensions";
  });
  // Negative (constant) padding removes elements: shrink first, then pad the rest.
  std::vector<std::pair<Dim, Dim>> keep;
  bool shrinks = false;
  for (size_t i = 0; i < padding.size(); ++i) {
    auto& [b, a] = padding[i];
    for (const Dim& amount : {b, a})  // (a lambda may not capture structured bindings before C++20's P1091 in clang 14)
      check(amount.is_const() || amount.vmin() >= 0, [&] { return "pad: symbolic padding " + amount.str() + " may be negative"; });
    const bool cut_b = b.is_const() && b.value() < 0, cut_a = a.is_const() && a.value() < 0;
    keep.push_back({cut_b ? Dim(-b.value()) : Dim(0), shape()[i] - (cut_a ? -a.value() : int64_t(0))});
    shrinks |= cut_b || cut_a;
    if (cut_b) b = 0;
    if (cut_a) a = 0;
  }
  const Tensor base = shrinks ? shrink(keep) : *this;
  std::vector<Dim> arg;
  bool any = false;
  for (const auto& [b, a] : padding) {
    arg.push_back(b);
    arg.push_back(a);
    any |= !(b == 0) || !(a == 0);
  }
  if (!any) return base;
  Tensor out(movement(Ops::PAD, base.uop(), arg));
  if (value == 0.0) return out;
  // PAD fills zeros; another value fills through a padded mask.
  Tensor inside(movement(Ops::PAD, Tensor::ones(base.shape(), dtypes::bool_).uop(), arg));
  return inside.where(out, out.scalar_like(value));
}

Tensor Tensor::shrink(std::vector<std::pair<Dim, Dim>> ranges) const {
  check(ranges.size() == size_t(ndim()), [&] {
    return "shrink: " + std::to_string(ranges.size()) + " ranges for " + std::to_string(ndim()) + " dimensions";
  });
  std::vector<Dim> arg;
  bool any = false;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const Dim s = ranges[i].first, e = ranges[i].second;
    check(dim_at_most(0, s) && dim_at_most(s, e) && dim_at_most(e, shape()[i]), [&] {
      return "shrink: range [" + s.str() + ", " + e.str() + ") is invalid for dimension " + std::to_string(i) + " of " +
             shape_str(shape());
    });
    arg.push_back(s);
    arg.push_back(e);
    any |= !(s == 0) || !(e == shape()[i]);
  }
  if (!any) return *this;
  return Tensor(movement(Ops::SHRINK, uop(), arg));
}

Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  axis = normalize_axis(axis, ndim(), "slice");
  check(step > 0, "slice: step must be positive (use flip for reverse order)");
  const int64_t n = shape()[size_t(axis)];
  auto clamp = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<std::pair<Dim, Dim>> ranges;
  for (int64_t i = 0; i < ndim(); ++i) ranges.push_back({0, shape()[size_t(i)]});
  ranges[size_t(axis)] = {start, end};
  Tensor x = shrink(ranges);
  if (step == 1) return x;
  // Strided: pad the axis to a multiple of step, split it into (count, step) and keep lane 0.
  const int64_t len = end - start, count = (len + step - 1) / step;
  std::vector<std::pair<Dim, Dim>> padding(size_t(ndim()), {0, 0});
  padding[size_t(axis)] = {0, count * step - len};
  x = x.pad(padding);
  Shape split = x.shape();
  split[size_t(axis)] = count;
  split.insert(split.begin() + axis + 1, step);
  x = x.reshape(split);
  std::vector<std::pair<Dim, Dim>> lane;
  for (const Dim& d : x.shape()) lane.push_back({0, d});
  lane[size_t(axis) + 1] = {0, 1};
  Shape out = shape();
  out[size_t(axis)] = count;
  return x.shrink(lane).reshape(out);
}

Tensor Tensor::flip(std::vector<int64_t> axes) const {
  std::vector<int64_t> flags(size_t(ndim()), 0);
  for (int64_t a : axes) flags[size_t(normalize_axis(a, ndim(), "flip"))] ^= 1;
  if (std::none_of(flags.begin(), flags.end(), [](int64_t f) { return f != 0; })) return *this;
  return Tensor(movement(Ops::FLIP, uop(), std::move(flags)));
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (ndim() == 0) return reshape({1});
  start = normalize_axis(start, ndim(), "flatten");
  end = normalize_axis(end, ndim(), "flatten");
  check(start <= end, "flatten: start axis after end axis");
  Shape out(shape().begin(), shape().begin() + start);
  Dim merged = 1;
  for (int64_t i = start; i <= end; ++i) merged = merged * shape()[size_t(i)];
  out.push_back(merged);
  out.insert(out.end(), shape().begin() + end + 1, shape().end());
  return reshape(out);
}

Tensor Tensor::unsqueeze(int64_t axis) const {
  axis = normalize_axis(axis, ndim() + 1, "unsqueeze");
  Shape out = shape();
  out.insert(out.begin() + axis, 1);
  return reshape(out);
}

Tensor Tensor::squeeze(int64_t axis) const {
  axis = normalize_axis(axis, ndim(), "squeeze");
  check(shape()[size_t(axis)] == 1, [&] {
    return "squeeze: dimension " + std::to_string(axis) + " of " + shape_str(shape()) + " is not 1";
  });
  Shape out = shape();
  out.erase(out.begin() + axis);
  return reshape(out);
}

Tensor Tensor::cat(const std::vector<Tensor>& ts, int64_t axis) {
  check(!ts.empty(), "cat: no tensors");
  axis = normalize_axis(axis, ts[0].ndim(), "cat");
  Dim total = 0;
  for (const Tensor& t : ts) {
    check(t.ndim() == ts[0].ndim(), [&] { return "cat: " + shape_str(t.shape()) + " and " + shape_str(ts[0].shape()) + " differ in rank"; });
    for (int64_t i = 0; i < t.ndim(); ++i)
      check(i == axis || t.shape()[size_t(i)] == ts[0].shape()[size_t(i)], [&] {
        return "cat: shapes " + shape_str(ts[0].shape()) + " and " + shape_str(t.shape()) + " differ outside axis " +
               std::to_string(axis);
      });
    total = total + t.shape()[size_t(axis)];
  }
  // Each piece is padded to the full length at its offset; the pieces are summed.
  Tensor out;
  Dim offset = 0;
  for (const Tensor& t : ts) {
    std::vector<std::pair<Dim, Dim>> padding(size_t(t.ndim()), {0, 0});
    const Dim len = t.shape()[size_t(axis)];
    padding[size_t(axis)] = {offset, total - offset - len};
    Tensor piece = t.pad(padding);
    out = out.uop() ? out + piece : piece;
    offset = offset + len;
  }
  return out;
}

Tensor Tensor::stack(const std::vector<Tensor>& ts, int64_t axis) {
  check(!ts.empty(), "stack: no tensors");
  axis = normalize_axis(axis, ts[0].ndim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& t : ts) {
    check(t.shape() == ts[0].shape(), [&] { return "stack: shapes " + shape_str(ts[0].shape()) + " and " + shape_str(t.shape()) + " differ"; });
    parts.push_back(t.unsqueeze(axis));
  }
  return cat(parts, axis);
}

Tensor Tensor::contiguous() const { return Tensor(UOp::make(Ops::CONTIGUOUS, dtype(), {uop()})); }

}  // namespace anneal
