// Movement ops: each is one UOp carrying its arg; none of them copies data.
#include <algorithm>
#include <numeric>

#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {

UOp movement(Ops op, const UOp& x, std::vector<int64_t> arg) {
  return UOp::make(op, x.dtype(), {x}, Arg(Arg::Tuple(std::move(arg))));
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  const int64_t a = axis < 0 ? axis + ndim : axis;
  check(a >= 0 && a < ndim, [&] {
    return std::string(op) + ": axis " + std::to_string(axis) + " is out of range for " + std::to_string(ndim) +
           " dimensions";
  });
  return a;
}

Tensor Tensor::reshape(std::vector<int64_t> shape) const {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer < 0, "reshape: only one dimension can be -1");
      infer = int64_t(i);
    } else {
      check(shape[i] >= 0, [&] { return "reshape: negative dimension in " + shape_str(shape); });
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    check(known != 0 && numel() % known == 0, [&] {
      return "reshape: cannot infer -1 reshaping " + shape_str(this->shape()) + " to " + shape_str(shape);
    });
    shape[size_t(infer)] = numel() / known;
    known *= shape[size_t(infer)];
  }
  check(known == numel(), [&] {
    return "reshape: cannot reshape " + shape_str(this->shape()) + " (" + std::to_string(numel()) + " elements) to " +
           shape_str(shape);
  });
  if (shape == this->shape()) return *this;
  return Tensor(movement(Ops::RESHAPE, uop(), std::move(shape)));
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
    const int64_t have = x.shape()[i];
    if (shape[i] == -1) shape[i] = have;
    check(have == shape[i] || have == 1, [&] {
      return "expand: cannot expand " + shape_str(this->shape()) + " to " + shape_str(shape) + " (dimension " +
             std::to_string(i) + " is " + std::to_string(have) + ", not 1)";
    });
  }
  if (shape == x.shape()) return x;
  return Tensor(movement(Ops::EXPAND, x.uop(), std::move(shape)));
}

Tensor Tensor::pad(std::vector<std::pair<int64_t, int64_t>> padding, double value) const {
  check(padding.size() == size_t(ndim()), [&] {
    return "pad: " + std::to_string(padding.size()) + " (before, after) pairs for " + std::to_string(ndim()) + " dimensions";
  });
  // Negative padding removes elements: shrink first, then pad the rest.
  std::vector<std::pair<int64_t, int64_t>> keep;
  bool shrinks = false;
  for (size_t i = 0; i < padding.size(); ++i) {
    auto& [b, a] = padding[i];
    keep.push_back({b < 0 ? -b : 0, shape()[i] - (a < 0 ? -a : 0)});
    shrinks |= b < 0 || a < 0;
    b = std::max<int64_t>(b, 0);
    a = std::max<int64_t>(a, 0);
  }
  const Tensor base = shrinks ? shrink(keep) : *this;
  std::vector<int64_t> arg;
  bool any = false;
  for (auto [b, a] : padding) {
    arg.push_back(b);
    arg.push_back(a);
    any |= b || a;
  }
  if (!any) return base;
  Tensor out(movement(Ops::PAD, base.uop(), arg));
  if (value == 0.0) return out;
  // PAD fills zeros; another value fills through a padded mask.
  Tensor inside(movement(Ops::PAD, Tensor::ones(base.shape(), dtypes::bool_).uop(), arg));
  return inside.where(out, out.scalar_like(value));
}

Tensor Tensor::shrink(std::vector<std::pair<int64_t, int64_t>> ranges) const {
  check(ranges.size() == size_t(ndim()), [&] {
    return "shrink: " + std::to_string(ranges.size()) + " ranges for " + std::to_string(ndim()) + " dimensions";
  });
  std::vector<int64_t> arg;
  bool any = false;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const int64_t s = ranges[i].first, e = ranges[i].second;
    check(0 <= s && s <= e && e <= shape()[i], [&] {
      return "shrink: range [" + std::to_string(s) + ", " + std::to_string(e) + ") is invalid for dimension " +
             std::to_string(i) + " of " + shape_str(shape());
    });
    arg.push_back(s);
    arg.push_back(e);
    any |= s != 0 || e != shape()[i];
  }
  if (!any) return *this;
  return Tensor(movement(Ops::SHRINK, uop(), std::move(arg)));
}

Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  axis = normalize_axis(axis, ndim(), "slice");
  check(step > 0, "slice: step must be positive (use flip for reverse order)");
  const int64_t n = shape()[size_t(axis)];
  auto clamp = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (int64_t i = 0; i < ndim(); ++i) ranges.push_back({0, shape()[size_t(i)]});
  ranges[size_t(axis)] = {start, end};
  Tensor x = shrink(ranges);
  if (step == 1) return x;
  // Strided: pad the axis to a multiple of step, split it into (count, step) and keep lane 0.
  const int64_t len = end - start, count = (len + step - 1) / step;
  std::vector<std::pair<int64_t, int64_t>> padding(size_t(ndim()), {0, 0});
  padding[size_t(axis)] = {0, count * step - len};
  x = x.pad(padding);
  Shape split = x.shape();
  split[size_t(axis)] = count;
  split.insert(split.begin() + axis + 1, step);
  x = x.reshape(split);
  std::vector<std::pair<int64_t, int64_t>> lane;
  for (int64_t d : x.shape()) lane.push_back({0, d});
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
  int64_t merged = 1;
  for (int64_t i = start; i <= end; ++i) merged *= shape()[size_t(i)];
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
  int64_t total = 0;
  for (const Tensor& t : ts) {
    check(t.ndim() == ts[0].ndim(), [&] { return "cat: " + shape_str(t.shape()) + " and " + shape_str(ts[0].shape()) + " differ in rank"; });
    for (int64_t i = 0; i < t.ndim(); ++i)
      check(i == axis || t.shape()[size_t(i)] == ts[0].shape()[size_t(i)], [&] {
        return "cat: shapes " + shape_str(ts[0].shape()) + " and " + shape_str(t.shape()) + " differ outside axis " +
               std::to_string(axis);
      });
    total += t.shape()[size_t(axis)];
  }
  // Each piece is padded to the full length at its offset; the pieces are summed.
  Tensor out;
  int64_t offset = 0;
  for (const Tensor& t : ts) {
    std::vector<std::pair<int64_t, int64_t>> padding(size_t(t.ndim()), {0, 0});
    const int64_t len = t.shape()[size_t(axis)];
    padding[size_t(axis)] = {offset, total - offset - len};
    Tensor piece = t.pad(padding);
    out = out.uop() ? out + piece : piece;
    offset += len;
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
