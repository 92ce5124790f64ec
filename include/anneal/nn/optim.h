// Optimizers. step(loss) adds the gradients and the updates of every parameter and optimizer state to
// the graph, then realizes the loss together with all of them: one training step is one schedule,
// so kernels fuse across the forward/backward/optimizer seams.
#pragma once
#include <cstdint>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal::nn {

class Module;

// Parameters that share optimizer settings (PyTorch's param_groups): here, the weight decay.
struct ParamGroup {
  std::vector<Tensor> params;
  double weight_decay = 0.0;
};
// nanoGPT's split: matrices and embeddings (2 or more dimensions) decay, biases and norms do not.
std::vector<ParamGroup> decay_groups(Module& model, double weight_decay);

// Linear warmup to max_lr over `warmup` steps, then a cosine down to min_lr at step `total`, then min_lr.
double warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, double max_lr, double min_lr);

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr);
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

  // The learning rate lives in a one-element buffer, so changing it between steps (a schedule) keeps
  // the step's graph, and its compiled kernels, the same.
  void set_lr(double lr);
  double lr() const { return lr_value_; }
  // Rescale the gradients when their global L2 norm exceeds max_norm (0 = off), in the same schedule.
  void clip_grad_norm(double max_norm) { clip_ = max_norm; }
  // The global gradient norm of the last step (before clipping), when clipping is on.
  const Tensor& grad_norm() const { return grad_norm_; }

 protected:
  virtual void update(const std::vector<Tensor>& grads) = 0;
  std::vector<Tensor> params_;
  std::vector<Tensor> state_;
  Tensor lr_;  // scalar buffer

 private:
  double lr_value_;
  double clip_ = 0.0;
  Tensor grad_norm_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, bool nesterov = false, double weight_decay = 0.0);

 protected:
  void update(const std::vector<Tensor>& grads) override;

 private:
  double momentum_, weight_decay_;
  bool nesterov_;
};

// Adam (weight_decay added to the gradient, as torch.optim.Adam) or AdamW (decoupled decay).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0.0, bool decoupled = false);
  // Per-group weight decay.
  Adam(std::vector<ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool decoupled);

 protected:
  void update(const std::vector<Tensor>& grads) override;

 private:
  void init_state();
  double b1_, b2_, eps_;
  std::vector<double> wd_;  // per parameter
  bool decoupled_;
  size_t n_;  // parameters; state_ = m[n], v[n], beta1^t, beta2^t
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0.01)
      : Adam(std::move(params), lr, beta1, beta2, eps, weight_decay, true) {}
  AdamW(std::vector<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
      : Adam(std::move(groups), lr, beta1, beta2, eps, true) {}
};

}  // namespace anneal::nn
