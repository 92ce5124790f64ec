// Optimizers. step(loss) adds the gradients and the updates of every parameter and optimizer state to
// the graph, then realizes the loss together with all of them: one training step is one schedule,
// so kernels fuse across the forward/backward/optimizer seams.
#pragma once
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal::nn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer() = default;
  // One step; returns the loss value. `extra` (e.g. a model's buffers()) is realized in the same schedule.
  double step(Tensor& loss, std::vector<Tensor> extra = {});
  // The second half of step(), after add_updates(): realizes loss, updates and `extra` together.
  double finish_step(Tensor& loss, std::vector<Tensor> extra = {});
  // The lazy part of step(): assigns the updated values to parameters and state (nothing runs).
  // Returns the gradients it used.
  std::vector<Tensor> add_updates(const Tensor& loss);
  // Everything step() realizes besides the loss: parameters, then optimizer state.
  std::vector<Tensor*> updated_tensors();

 protected:
  virtual void update(const std::vector<Tensor>& grads) = 0;
  std::vector<Tensor> params_;
  std::vector<Tensor> state_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, bool nesterov = false, double weight_decay = 0.0);

 protected:
  void update(const std::vector<Tensor>& grads) override;

 private:
  double lr_, momentum_, weight_decay_;
  bool nesterov_;
};

// Adam (weight_decay added to the gradient, as torch.optim.Adam) or AdamW (decoupled decay).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0.0, bool decoupled = false);

 protected:
  void update(const std::vector<Tensor>& grads) override;

 private:
  double lr_, b1_, b2_, eps_, wd_;
  bool decoupled_;
  size_t n_;  // parameters; state_ = m[n], v[n], beta1^t, beta2^t
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0.01)
      : Adam(std::move(params), lr, beta1, beta2, eps, weight_decay, true) {}
};

}  // namespace anneal::nn
