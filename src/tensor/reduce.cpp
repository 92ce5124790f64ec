// Reductions, softmax and matmul. A REDUCE keeps reduced axes as size 1; keepdim=false reshapes.
#include <algorithm>
#include <limits>

#include "anneal/runtime/buffer_io.h"
#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {

Tensor Tensor::reduce(Ops op, std::vector<int64_t> axes, bool keepdim, const char* name) const {
  if (axes.empty())
    for (int64_t i = 0; i < ndim(); ++i) axes.push_back(i);
  std::vector<bool> reduced(size_t(ndim()), false);
  for (int64_t& a : axes) {
    a = normalize_axis(a, ndim(), name);
    check(!reduced[size_t(a)], [&] { return std::string(name) + ": axis " + std::to_string(a) + " repeated"; });
    reduced[size_t(a)] = true;
  }
  std::sort(axes.begin(), axes.end());
  Shape out_keep = shape(), out = {};
  for (int64_t i = 0; i < ndim(); ++i) {
    if (reduced[size_t(i)]) out_keep[size_t(i)] = 1;
    else out.push_back(shape()[size_t(i)]);
  }
  // Sums accumulate in a wide enough dtype (bool and small ints in int32).
  const Tensor src = op == Ops::ADD && sum_acc_dtype(dtype()) != dtype() ? cast(sum_acc_dtype(dtype())) : *this;
  Tensor r;
  if (std::all_of(axes.begin(), axes.end(), [&](int64_t a) { return shape()[size_t(a)] == 1; })) {
    r = src;  // reducing size-1 axes is the identity
  } else {
    std::vector<int64_t> arg{int64_t(op)};
    arg.insert(arg.end(), axes.begin(), axes.end());
    r = Tensor(UOp::make(Ops::REDUCE, src.dtype(), {src.uop()}, Arg(Arg::Tuple(std::move(arg)))));
  }
  return keepdim ? r.reshape(out_keep) : r.reshape(out);
}

Tensor Tensor::sum(std::vector<int64_t> axes, bool keepdim) const { return reduce(Ops::ADD, std::move(axes), keepdim, "sum"); }
Tensor Tensor::max(std::vector<int64_t> axes, bool keepdim) const { return reduce(Ops::MAX, std::move(axes), keepdim, "max"); }
Tensor Tensor::min(std::vector<int64_t> axes, bool keepdim) const {
  return order_reversed().max(std::move(axes), keepdim).order_reversed();
}

Dim reduced_count(const Shape& shape, const std::vector<int64_t>& axes, const char* op) {
  Dim n = 1;
  if (axes.empty()) return sym_numel(shape);
  for (int64_t a : axes) n = n * shape[size_t(normalize_axis(a, int64_t(shape.size()), op))];
  return n;
}

Tensor Tensor::mean(std::vector<int64_t> axes, bool keepdim) const {
  const Tensor s = (dtype().is_float() ? *this : cast(dtypes::float32)).sum(axes, keepdim);
  const Dim n = reduced_count(shape(), axes, "mean");
  // Over a symbolic count, the count is a value of the graph, bound at realize.
  // (Multiplying by the reciprocal, as with a constant count, keeps the two bit-identical.)
  if (n.is_symbolic()) return s * Tensor::scalar(n, s.dtype()).reciprocal();
  // The mean of no values is NaN, as in PyTorch (issue 22, cause 11: it was 0).
  return s * (n == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / double(n.value()));
}

Tensor Tensor::softmax(int64_t axis) const {
  axis = normalize_axis(axis, ndim(), "softmax");
  const Tensor shifted = *this - max({axis}, true);
  const Tensor e = shifted.exp();
  return e / e.sum({axis}, true);
}

Tensor Tensor::log_softmax(int64_t axis) const {
  axis = normalize_axis(axis, ndim(), "log_softmax");
  const Tensor shifted = *this - max({axis}, true);
  return shifted - shifted.exp().sum({axis}, true).log();
}

Tensor Tensor::matmul(const Tensor& o) const {
  check(ndim() >= 1 && o.ndim() >= 1, [&] {
    return "matmul: operands need at least one dimension, got " + shape_str(shape()) + " and " + shape_str(o.shape());
  });
  const Tensor a = ndim() == 1 ? unsqueeze(0) : *this;
  Tensor b = o.ndim() == 1 ? o.unsqueeze(1) : o;
  // A transposed realized matrix (x @ w.T, as Linear multiplies) would be read along the reduction for
  // every output column, the columns strided: a copy in the transposed layout (a cheap kernel over a
  // parameter) lets register tiles read whole rows of columns (CPU SIMD loads, coalesced GPU loads).
  // The values and their order of summation are the same.
  if (const UOp& bu = b.uop(); bu.is(Ops::PERMUTE) && view_buffer(bu.src(0)).is(Ops::BUFFER)) {
    const std::vector<int64_t>& order = *bu.arg().as_tuple();
    const size_t n = order.size();
    bool swaps_last_two = order[n - 1] == int64_t(n - 2) && order[n - 2] == int64_t(n - 1);
    for (size_t i = 0; i + 2 < n; ++i) swaps_last_two &= order[i] == int64_t(i);
    if (swaps_last_two) b = b.contiguous();
  }
  const Dim k = a.shape().back(), kb = b.shape()[b.shape().size() - 2];
  check(k == kb, [&] {
    return "matmul: cannot multiply " + shape_str(shape()) + " by " + shape_str(o.shape()) + " (inner dimensions " +
           k.str() + " and " + kb.str() + " differ)";
  });
  // (..., M, 1, K) * (..., 1, N, K) summed over K.
  const Tensor lhs = a.unsqueeze(-2);
  const Tensor rhs = b.transpose(-1, -2).unsqueeze(-3);
  Tensor out = (lhs * rhs).sum({-1});
  if (ndim() == 1) out = out.squeeze(-2);
  if (o.ndim() == 1) out = out.squeeze(-1);
  return out;
}

}  // namespace anneal
