// Sliding windows, convolution and pooling, built from movement ops only.
//
// windows(axis, k, s, d) views x[..., o*s + j*d, ...] as a new (o, j) pair of axes without a gather.
// Short windows (convolutions, pools) are one WINDOW movement op: its index is o*s + j*d and its
// gradient k shifted pads of the window elements' gradients (gradient.cpp). Long ones (cumsum's, as
// long as the axis) are the reference's tiled copies: tile the axis R times, flatten, take the first
// k*(i+d) elements and read them as (k, i+d); row j then starts at offset j*(i+d) = j*d (mod i), so
// element (j, o*s) is x[o*s + j*d] while that index stays below i, which holds for every valid output
// position o. Their gradient is a sum over the R copies (nested gated sums with div/mod index math:
// a 5 x 5 convolution's input gradient ran 566 ms per W3 step on two cores that way, against k = 25
// shifted reads), but it has R terms rather than k.
#include <cmath>

#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {

Tensor Tensor::windows(int64_t axis, int64_t k, int64_t s, int64_t d) const {
  axis = normalize_axis(axis, ndim(), "windows");
  const int64_t i = shape()[size_t(axis)];
  check(k >= 1 && s >= 1 && d >= 1, "windows: kernel, stride and dilation must be positive");
  check(d * (k - 1) + 1 <= i, [&] {
    return "windows: kernel " + std::to_string(k) + " (dilation " + std::to_string(d) + ") does not fit axis of size " +
           std::to_string(i) + " in " + shape_str(shape());
  });
  const int64_t o = (i - d * (k - 1) - 1) / s + 1;
  constexpr int64_t kLongestWindowOp = 16;
  if (k <= kLongestWindowOp) return Tensor(movement(Ops::WINDOW, uop(), std::vector<int64_t>{axis, k, s, d}));
  const int64_t repeats = (k * (i + d) + i - 1) / i;
  // Move the axis last: (..., i).
  std::vector<int64_t> order;
  for (int64_t a = 0; a < ndim(); ++a)
    if (a != axis) order.push_back(a);
  order.push_back(axis);
  Tensor x = permute(order);
  Shape lead(x.shape().begin(), x.shape().end() - 1);
  auto with_lead = [&](std::initializer_list<int64_t> tail) {
    Shape sh = lead;
    sh.insert(sh.end(), tail.begin(), tail.end());
    return sh;
  };
  x = x.unsqueeze(-2).expand(with_lead({repeats, i})).reshape(with_lead({repeats * i}));
  std::vector<std::pair<Dim, Dim>> keep;
  for (int64_t dsz : lead) keep.push_back({0, dsz});
  keep.push_back({0, k * (i + d)});
  x = x.shrink(keep).reshape(with_lead({k, i + d}));
  // Positions o*s along the last axis: (k, o*s) -> (k, o, s) -> lane 0.
  keep.back() = {0, k};
  keep.push_back({0, o * s});
  x = x.shrink(keep).reshape(with_lead({k, o, s}));
  keep.back() = {0, o};
  keep.push_back({0, 1});
  x = x.shrink(keep).reshape(with_lead({k, o}));
  // (..., k, o) -> original axis order with o in place of the axis and k last.
  std::vector<int64_t> back;
  const int64_t n = int64_t(lead.size());
  for (int64_t a = 0, l = 0; a < ndim(); ++a) back.push_back(a == axis ? n + 1 : l++);
  back.push_back(n);
  return x.permute(back);
}

Tensor Tensor::conv2d(const Tensor& w, const Tensor& bias, std::pair<int64_t, int64_t> stride,
                      std::pair<int64_t, int64_t> padding, std::pair<int64_t, int64_t> dilation, int64_t groups) const {
  check(ndim() == 4 && w.ndim() == 4, [&] {
    return "conv2d: expected input (N, C, H, W) and weight (O, C/groups, KH, KW), got " + shape_str(shape()) + " and " +
           shape_str(w.shape());
  });
  const int64_t n = shape()[0], c = shape()[1], o = w.shape()[0], cin = w.shape()[1];
  check(groups >= 1 && c % groups == 0 && o % groups == 0 && cin * groups == c, [&] {
    return "conv2d: input " + shape_str(shape()) + " and weight " + shape_str(w.shape()) + " do not match with groups=" +
           std::to_string(groups);
  });
  const int64_t kh = w.shape()[2], kw = w.shape()[3];
  Tensor x = pad({{0, 0}, {0, 0}, {padding.first, padding.first}, {padding.second, padding.second}});
  // (N, C, OH, OW, KH, KW)
  x = x.windows(2, kh, stride.first, dilation.first).windows(3, kw, stride.second, dilation.second);
  const int64_t oh = x.shape()[2], ow = x.shape()[3];
  const int64_t cout = o / groups;
  // Input channels innermost, (N, G, 1, OH, OW, KH, KW, C/G): the input gradient before its windows
  // are summed back, a (positions x channels*window) product, is then written in rows of channels
  // (contiguous tiles) instead of one channel's plane at a time.
  Tensor xv = x.reshape({n, groups, cin, oh, ow, kh, kw}).permute({0, 1, 3, 4, 5, 6, 2}).reshape({n, groups, 1, oh, ow, kh, kw, cin});
  Tensor wv = w.reshape({groups, cout, cin, kh, kw}).permute({0, 1, 3, 4, 2}).reshape({1, groups, cout, 1, 1, kh, kw, cin});
  Tensor out = (xv * wv).sum({5, 6, 7}).reshape({n, o, oh, ow});
  if (bias.uop()) {
    check(bias.shape() == Shape{o}, [&] { return "conv2d: bias " + shape_str(bias.shape()) + " for " + std::to_string(o) + " channels"; });
    out = out + bias.reshape({1, o, 1, 1});
  }
  return out;
}

namespace {
Tensor pool(const Tensor& x, std::pair<int64_t, int64_t> k, std::pair<int64_t, int64_t> s, std::pair<int64_t, int64_t> p,
            double pad_value, const char* name) {
  check(x.ndim() >= 2, [&] { return std::string(name) + ": expected (..., H, W), got " + shape_str(x.shape()); });
  if (s.first == 0 && s.second == 0) s = k;
  std::vector<std::pair<Dim, Dim>> padding(size_t(x.ndim()), {0, 0});
  padding[padding.size() - 2] = {p.first, p.first};
  padding[padding.size() - 1] = {p.second, p.second};
  return x.pad(padding, pad_value).windows(-2, k.first, s.first, 1).windows(-2, k.second, s.second, 1);
}
}  // namespace

Tensor Tensor::max_pool2d(std::pair<int64_t, int64_t> k, std::pair<int64_t, int64_t> s, std::pair<int64_t, int64_t> p) const {
  return pool(*this, k, s, p, -INFINITY, "max_pool2d").max({-2, -1});
}

Tensor Tensor::avg_pool2d(std::pair<int64_t, int64_t> k, std::pair<int64_t, int64_t> s, std::pair<int64_t, int64_t> p) const {
  return pool(*this, k, s, p, 0.0, "avg_pool2d").mean({-2, -1});
}

}  // namespace anneal
