// Neural-network layers over Tensor. Parameters are ordinary tensors marked requires_grad, initialised
// like PyTorch's defaults (uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear and Conv2d weights and
// biases), so state dicts are interchangeable.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  // Parameters (and buffers such as running statistics), named like PyTorch's state_dict keys.
  virtual NamedTensors named_parameters() { return {}; }
  std::vector<Tensor> parameters();
  // State that changes in training but is not learned (BatchNorm running statistics); its updates are
  // realized with each optimizer step.
  virtual std::vector<Tensor> buffers() { return {}; }
  virtual void train(bool on) { training_ = on; }
  bool training() const { return training_; }

 protected:
  bool training_ = true;
};

// A parameter starting from `init` (requires_grad), realized now. The layers' own initializations
// (uniform_parameter, normal_parameter) compute their values on the host instead: no kernel.
Tensor parameter(Tensor init);

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;  // x @ weight^T + bias, weight (out, in)
  NamedTensors named_parameters() override;
  Tensor weight, bias;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1, int64_t padding = 0,
         bool bias = true);
  Tensor forward(const Tensor& x) override;
  NamedTensors named_parameters() override;
  Tensor weight, bias;
  int64_t stride, padding;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;  // over the last axis, biased variance
  NamedTensors named_parameters() override;
  Tensor weight, bias;
  double eps;
};

class Embedding : public Module {
 public:
  Embedding(int64_t num, int64_t dim);  // weight ~ N(0, 1), as PyTorch
  Tensor forward(const Tensor& idx) override;  // integer indices (...) -> (..., dim)
  NamedTensors named_parameters() override { return {{"weight", weight}}; }
  Tensor weight;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5) : p_(p) { check(p >= 0 && p < 1, "Dropout: p must be in [0, 1)"); }
  Tensor forward(const Tensor& x) override;  // training: zero with probability p, scale by 1/(1-p)

 private:
  double p_;
};

// BatchNorm over (N, H, W) per channel. Training normalises with batch statistics and updates the
// running ones (momentum 0.1, unbiased variance, as PyTorch); eval uses the running statistics.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;
  NamedTensors named_parameters() override;  // weight, bias, running_mean, running_var
  std::vector<Tensor> buffers() override { return {running_mean, running_var}; }
  Tensor weight, bias, running_mean, running_var;
  double eps, momentum;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.relu(); }
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t k) : k_(k) {}
  Tensor forward(const Tensor& x) override { return x.max_pool2d({k_, k_}); }

 private:
  int64_t k_;
};

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers) : layers_(std::move(layers)) {}
  template <class M, class... Args>
  Sequential& add(Args&&... args) {
    layers_.push_back(std::make_shared<M>(std::forward<Args>(args)...));
    return *this;
  }
  Tensor forward(const Tensor& x) override;
  NamedTensors named_parameters() override;  // "0.weight", "2.bias", ... as in PyTorch
  std::vector<Tensor> buffers() override;
  void train(bool on) override;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Losses. Labels are integer class indices.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);  // mean over the batch
Tensor nll_loss(const Tensor& log_probs, const Tensor& labels);
Tensor mse_loss(const Tensor& pred, const Tensor& target);

// Uniform(-bound, bound) and Normal(0, std) parameters of the default float dtype, marked
// requires_grad. The values are drawn and computed on the host (rand_values, randn_values) and
// written once: making a model runs no kernel, on any device (and in the WASM build, which runs none).
Tensor uniform_parameter(Shape shape, double bound);
Tensor normal_parameter(Shape shape, double std);
// A parameter filled with `value`, written from the host (no kernel).
Tensor filled_parameter(const Shape& shape, double value);

// The dtype new parameters get (float32 unless changed), like torch.set_default_dtype.
DType default_float();
// Sets it for the lifetime of the guard.
class DefaultFloat {
 public:
  explicit DefaultFloat(DType d);
  ~DefaultFloat();
  DefaultFloat(const DefaultFloat&) = delete;
  DefaultFloat& operator=(const DefaultFloat&) = delete;

 private:
  DType previous_;
};

// While a guard lives, new parameters are placeholders: lazy constants of the right shape and dtype
// that hold no memory and draw no random numbers, for weights that a checkpoint replaces right after
// (a 1.5B-parameter GPT-2 is not initialised only to be overwritten). Like torch's meta-device init.
class SkipInit {
 public:
  SkipInit();
  ~SkipInit();
  SkipInit(const SkipInit&) = delete;
  SkipInit& operator=(const SkipInit&) = delete;

 private:
  bool previous_;
};

}  // namespace anneal::nn
