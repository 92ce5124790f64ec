#include "anneal/nn/layers.h"

#include <algorithm>
#include <cmath>

#include "anneal/runtime/device.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/tensor/random.h"

namespace anneal::nn {

std::vector<Tensor> Module::parameters() {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters())
    if (t.requires_grad_enabled()) out.push_back(t);
  return out;
}

Tensor parameter(Tensor init) { return init.realize().requires_grad(); }

namespace {
thread_local DType current_default = dtypes::float32;
// A parameter holding `values`, converted to the default float dtype on the host.
Tensor host_parameter(Shape shape, const std::vector<double>& values) {
  const DType d = default_float();
  std::vector<uint8_t> bytes(values.size() * size_t(d.itemsize()));
  write_elements(bytes.data(), d, values.data(), values.size());
  return Tensor::from_blob(bytes.data(), std::move(shape), d).requires_grad();
}

thread_local bool skip_init = false;
// The placeholder a SkipInit guard makes instead of a parameter: a buffer of its own that has no memory
// (a lazy constant would need a kernel to become a distinct leaf). Read before a value is assigned,
// it gets zeroed memory like any fresh buffer.
Tensor placeholder(const Shape& shape) {
  return Tensor(UOp::buffer(canonical_device(""), numel(shape), default_float()).view_as(shape)).requires_grad();
}

}  // namespace

Tensor filled_parameter(const Shape& shape, double value) {
  if (skip_init) return placeholder(shape);
  return Tensor::filled(shape, value, default_float()).requires_grad();
}

SkipInit::SkipInit() : previous_(skip_init) { skip_init = true; }
SkipInit::~SkipInit() { skip_init = previous_; }

DType default_float() { return current_default; }
DefaultFloat::DefaultFloat(DType d) : previous_(current_default) {
  check(d.is_float() && !d.is_weak(), "DefaultFloat: parameters need a float dtype");
  current_default = d;
}
DefaultFloat::~DefaultFloat() { current_default = previous_; }

Tensor uniform_parameter(Shape shape, double bound) {
  if (skip_init) return placeholder(shape);
  const std::vector<float> u = rand_values(size_t(numel(shape)));
  std::vector<double> v(u.size());
  for (size_t i = 0; i < u.size(); ++i) v[i] = double(u[i]) * (2.0 * bound) - bound;
  return host_parameter(std::move(shape), v);
}

Tensor normal_parameter(Shape shape, double std) {
  if (skip_init) return placeholder(shape);
  const std::vector<float> z = randn_values(size_t(numel(shape)));
  std::vector<double> v(z.size());
  for (size_t i = 0; i < z.size(); ++i) v[i] = double(z[i]) * std;
  return host_parameter(std::move(shape), v);
}

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) {
  check(in_features > 0 && out_features > 0, "Linear: feature counts must be positive");
  const double bound = 1.0 / std::sqrt(double(in_features));
  weight = uniform_parameter({out_features, in_features}, bound);
  if (with_bias) bias = uniform_parameter({out_features}, bound);
}

Tensor Linear::forward(const Tensor& x) {
  check(x.ndim() >= 1 && x.shape().back() == weight.shape()[1], [&] {
    return "Linear: input " + shape_str(x.shape()) + " does not end in " + std::to_string(weight.shape()[1]) + " features";
  });
  Tensor y = x.matmul(weight.transpose());
  return bias.defined() ? y + bias : y;
}

namespace {
NamedTensors weight_and_bias(const Tensor& weight, const Tensor& bias) {
  NamedTensors out{{"weight", weight}};
  if (bias.defined()) out.push_back({"bias", bias});
  return out;
}
}  // namespace

NamedTensors Linear::named_parameters() { return weight_and_bias(weight, bias); }

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t k, int64_t stride_, int64_t padding_, bool with_bias)
    : stride(stride_), padding(padding_) {
  const double bound = 1.0 / std::sqrt(double(in_channels * k * k));
  weight = uniform_parameter({out_channels, in_channels, k, k}, bound);
  if (with_bias) bias = uniform_parameter({out_channels}, bound);
}

Tensor Conv2d::forward(const Tensor& x) { return x.conv2d(weight, bias, {stride, stride}, {padding, padding}); }

NamedTensors Conv2d::named_parameters() { return weight_and_bias(weight, bias); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& l : layers_) y = l->forward(y);
  return y;
}

NamedTensors Sequential::named_parameters() {
  NamedTensors out;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (auto& [name, t] : layers_[i]->named_parameters()) out.push_back({std::to_string(i) + "." + name, t});
  return out;
}

std::vector<Tensor> Sequential::buffers() {
  std::vector<Tensor> out;
  for (auto& l : layers_)
    for (const Tensor& b : l->buffers()) out.push_back(b);
  return out;
}

LayerNorm::LayerNorm(int64_t dim, double eps_, bool affine) : eps(eps_) {
  if (affine) {
    weight = filled_parameter({dim}, 1.0);
    bias = filled_parameter({dim}, 0.0);
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  const Tensor centered = x - x.mean({-1}, true);
  const Tensor y = centered * ((centered * centered).mean({-1}, true) + eps).rsqrt();
  return weight.defined() ? y * weight + bias : y;
}

NamedTensors LayerNorm::named_parameters() {
  if (!weight.defined()) return {};
  return {{"weight", weight}, {"bias", bias}};
}

Embedding::Embedding(int64_t num, int64_t dim) {
  weight = normal_parameter({num, dim}, 1.0);
}

Tensor Embedding::forward(const Tensor& idx) {
  check(idx.dtype().is_int(), "Embedding: indices must be integers");
  return idx.one_hot(weight.shape()[0]).cast(weight.dtype()).matmul(weight);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!training_ || p_ == 0.0) return x;
  const Tensor keep = Tensor::rand(x.shape()).ge(Tensor::full({}, p_));
  return keep.where(x * (1.0 / (1.0 - p_)), x.scalar_like(0.0));
}

BatchNorm2d::BatchNorm2d(int64_t channels, double eps_, double momentum_) : eps(eps_), momentum(momentum_) {
  weight = filled_parameter({channels}, 1.0);
  bias = filled_parameter({channels}, 0.0);
  running_mean = Tensor::filled({channels}, 0.0, default_float());
  running_var = Tensor::filled({channels}, 1.0, default_float());
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  check(x.ndim() == 4 && x.shape()[1] == weight.shape()[0], [&] {
    return "BatchNorm2d: expected (N, " + std::to_string(weight.shape()[0]) + ", H, W), got " + shape_str(x.shape());
  });
  const int64_t c = weight.shape()[0];
  auto per_channel = [c](const Tensor& t) { return t.reshape({1, c, 1, 1}); };
  Tensor mean, var;
  if (training_) {
    mean = x.mean({0, 2, 3});
    const Tensor centered = x - per_channel(mean);
    var = (centered * centered).mean({0, 2, 3});
    const double n = double(x.numel() / c);
    running_mean.assign(running_mean * (1.0 - momentum) + mean.detach() * momentum);
    running_var.assign(running_var * (1.0 - momentum) + var.detach() * (momentum * n / std::max(n - 1.0, 1.0)));
  } else {
    mean = running_mean;
    var = running_var;
  }
  return (x - per_channel(mean)) * per_channel((var + eps).rsqrt() * weight) + per_channel(bias);
}

NamedTensors BatchNorm2d::named_parameters() {
  return {{"weight", weight}, {"bias", bias}, {"running_mean", running_mean}, {"running_var", running_var}};
}

void Sequential::train(bool on) {
  training_ = on;
  for (auto& l : layers_) l->train(on);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& labels) {
  check(log_probs.ndim() == 2 && labels.ndim() == 1 && labels.shape()[0] == log_probs.shape()[0], [&] {
    return "nll_loss: expected (N, C) log-probabilities and (N,) labels, got " + shape_str(log_probs.shape()) + " and " +
           shape_str(labels.shape());
  });
  const Tensor picked = labels.one_hot(log_probs.shape()[1]).cast(log_probs.dtype()) * log_probs;
  return -picked.sum({1}).mean();
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels) { return nll_loss(logits.log_softmax(-1), labels); }

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  const Tensor d = pred - target;
  return (d * d).mean();
}

}  // namespace anneal::nn
