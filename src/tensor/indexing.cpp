// Index-valued and index-driven ops, written with comparisons against arange so that they stay
// ordinary elementwise/reduce graphs (the scheduler fuses them like anything else).
#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {
namespace {

// arange(n) shaped to broadcast along `axis` of a rank-`ndim` tensor.
Tensor arange_along(int64_t n, int64_t axis, int64_t ndim) {
  Shape s(size_t(ndim), 1);
  s[size_t(axis)] = n;
  return Tensor::arange(n).reshape(s);
}

}  // namespace

Tensor Tensor::var(std::vector<int64_t> axes, bool keepdim, int64_t correction) const {
  const Tensor x = dtype().is_float() ? *this : cast(dtypes::float32);
  const Tensor centered = x - x.mean(axes, true);
  const Tensor sq = (centered * centered).sum(axes, keepdim);
  const Dim n = reduced_count(shape(), axes, "var");
  if (n.is_symbolic()) return sq * Tensor::scalar(n - correction, sq.dtype()).reciprocal();
  return sq * (1.0 / double(std::max<int64_t>(n.value() - correction, 0)));
}

Tensor Tensor::argmax(int64_t axis, bool keepdim) const {
  axis = normalize_axis(axis, ndim(), "argmax");
  const int64_t n = shape()[size_t(axis)];
  // The first maximum has the largest (n - index) among the maxima.
  const Tensor is_max = eq(max({axis}, true));
  const Tensor score = is_max.where(-arange_along(n, axis, ndim()) + double(n), scalar_like(0.0).cast(dtypes::int32));
  return (-score.max({axis}, keepdim) + double(n)).cast(dtypes::int32);
}

Tensor Tensor::cumsum(int64_t axis) const {
  axis = normalize_axis(axis, ndim(), "cumsum");
  const int64_t n = shape()[size_t(axis)];
  if (n == 0) return *this;
  std::vector<std::pair<Dim, Dim>> padding(size_t(ndim()), {0, 0});
  padding[size_t(axis)] = {n - 1, 0};
  // Window o covers elements o-n+1 .. o of the original axis (zeros before the start).
  return pad(padding).windows(axis, n, 1, 1).sum({-1});
}

Tensor Tensor::gather(int64_t axis, const Tensor& index) const {
  axis = normalize_axis(axis, ndim(), "gather");
  check(index.ndim() == ndim(), [&] {
    return "gather: index " + shape_str(index.shape()) + " must have the rank of " + shape_str(shape());
  });
  check(index.dtype().is_int(), "gather: index must be an integer tensor");
  for (int64_t a = 0; a < ndim(); ++a)
    check(a == axis || index.shape()[size_t(a)] == shape()[size_t(a)], [&] {
      return "gather: index " + shape_str(index.shape()) + " and input " + shape_str(shape()) + " differ outside axis " +
             std::to_string(axis);
    });
  const int64_t n = shape()[size_t(axis)];
  // (..., m, 1, ...) == (1.., 1, n, 1..) selects, then a sum over the n axis.
  const Tensor sel = index.unsqueeze(axis + 1).eq(arange_along(n, axis + 1, ndim() + 1));
  const Tensor src = unsqueeze(axis);
  return sel.where(src, src.scalar_like(0.0)).sum({axis + 1});
}

Tensor Tensor::one_hot(int64_t num_classes) const {
  check(dtype().is_int(), "one_hot: expected an integer tensor");
  check(num_classes > 0, "one_hot: num_classes must be positive");
  return unsqueeze(-1).eq(arange_along(num_classes, ndim(), ndim() + 1)).cast(dtypes::int32);
}

}  // namespace anneal
