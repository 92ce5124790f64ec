#include "anneal/nn/optim.h"

#include <cmath>

#include "anneal/nn/layers.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/host_memory.h"

namespace anneal::nn {
namespace {
// A fresh, realized buffer of `value` shaped like `like` (optimizer state must be a buffer so that
// every step has the same graph structure and hits the schedule cache), on `like`'s device.
Tensor state_like(const Tensor& like, double value) {
  return Tensor::filled(like.shape(), value, like.dtype(), like.device());
}
}  // namespace

std::vector<ParamGroup> decay_groups(Module& model, double weight_decay) {
  std::vector<ParamGroup> groups{{{}, weight_decay}, {{}, 0.0}};
  for (const Tensor& p : model.parameters()) groups[p.ndim() >= 2 ? 0 : 1].params.push_back(p);
  return groups;
}

double warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, double max_lr, double min_lr) {
  check(warmup >= 0 && total > warmup, "warmup_cosine_lr: needs 0 <= warmup < total");
  if (step < warmup) return max_lr * double(step + 1) / double(warmup);
  if (step >= total) return min_lr;
  const double ratio = double(step - warmup) / double(total - warmup);
  return min_lr + 0.5 * (1.0 + std::cos(M_PI * ratio)) * (max_lr - min_lr);
}

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_value_(lr) {
  for (const Tensor& p : params_)
    check(p.defined() && p.requires_grad_enabled(), "optimizer: parameters must be tensors with requires_grad");
  lr_ = state_like(Tensor::full({}, lr, params_.empty() ? dtypes::float32 : params_[0].dtype()), lr);
}

void Optimizer::set_lr(double lr) {
  lr_value_ = lr;
  std::vector<uint8_t> bytes(size_t(lr_.dtype().itemsize()));
  write_elements(bytes.data(), lr_.dtype(), &lr, 1);
  upload(view_buffer(lr_.uop()), bytes.data());
}

std::vector<Tensor> Optimizer::add_updates(const Tensor& loss) {
  std::vector<Tensor> grads = gradient(loss, params_);
  if (clip_ > 0.0 && !grads.empty()) {
    // Squares summed in float32 at least (float16 gradients would overflow), float64 when they are.
    auto squares = [](const Tensor& g) {
      const Tensor w = g.cast(g.dtype() == dtypes::float64 ? dtypes::float64 : dtypes::float32);
      return (w * w).sum();
    };
    Tensor sq = squares(grads[0]);
    for (size_t i = 1; i < grads.size(); ++i) sq = sq + squares(grads[i]).cast(sq.dtype());
    grad_norm_ = sq.sqrt();
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
    const Tensor scale = ((grad_norm_ + 1e-6).reciprocal() * clip_).minimum(grad_norm_.scalar_like(1.0));
    for (Tensor& g : grads) g = g * scale.cast(g.dtype());
  }
  update(grads);
  return grads;
}

std::vector<Tensor*> Optimizer::updated_tensors() {
  std::vector<Tensor*> out;
  for (Tensor& p : params_) out.push_back(&p);
  for (Tensor& s : state_) out.push_back(&s);
  return out;
}

double Optimizer::step(Tensor& loss, std::vector<Tensor> extra) {
  add_updates(loss);
  return finish_step(loss, std::move(extra));
}

double Optimizer::finish_step(Tensor& loss, std::vector<Tensor> extra) {
  std::vector<Tensor*> targets{&loss};
  if (grad_norm_.defined()) targets.push_back(&grad_norm_);
  for (Tensor* t : updated_tensors()) targets.push_back(t);
  for (Tensor& t : extra) targets.push_back(&t);
  realize(targets);
  return loss.item<double>();
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, bool nesterov, double weight_decay)
    : Optimizer(std::move(params), lr), momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {
  if (momentum_ != 0.0)
    for (const Tensor& p : params_) state_.push_back(state_like(p, 0.0));
}

void SGD::update(const std::vector<Tensor>& grads) {
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = grads[i];
    if (weight_decay_ != 0.0) g = g + params_[i] * weight_decay_;
    if (momentum_ != 0.0) {
      // PyTorch's form: buf = momentum*buf + g (the first step starts from buf = 0).
      Tensor buf = state_[i] * momentum_ + g;
      state_[i].assign(buf);
      g = nesterov_ ? g + buf * momentum_ : buf;
    }
    params_[i].assign(params_[i] - g * lr_.cast(g.dtype()));
  }
}

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay,
           bool decoupled)
    : Optimizer(std::move(params), lr), b1_(beta1), b2_(beta2), eps_(eps), decoupled_(decoupled), n_(params_.size()) {
  wd_.assign(n_, weight_decay);
  init_state();
}

Adam::Adam(std::vector<ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool decoupled)
    : Optimizer(
          [&] {
            std::vector<Tensor> all;
            for (const ParamGroup& g : groups) all.insert(all.end(), g.params.begin(), g.params.end());
            return all;
          }(),
          lr),
      b1_(beta1), b2_(beta2), eps_(eps), decoupled_(decoupled), n_(params_.size()) {
  for (const ParamGroup& g : groups) wd_.insert(wd_.end(), g.params.size(), g.weight_decay);
  init_state();
}

void Adam::init_state() {
  for (const Tensor& p : params_) state_.push_back(state_like(p, 0.0));  // m
  for (const Tensor& p : params_) state_.push_back(state_like(p, 0.0));  // v
  const Tensor scalar = Tensor::full({1}, 1.0, n_ ? params_[0].dtype() : dtypes::float32);
  state_.push_back(state_like(scalar, 1.0));  // beta1^t
  state_.push_back(state_like(scalar, 1.0));  // beta2^t
}

void Adam::update(const std::vector<Tensor>& grads) {
  Tensor& b1t = state_[2 * n_];
  Tensor& b2t = state_[2 * n_ + 1];
  const Tensor nb1t = b1t * b1_, nb2t = b2t * b2_;
  for (size_t i = 0; i < n_; ++i) {
    Tensor p = params_[i], g = grads[i];
    const Tensor lr = lr_.cast(p.dtype());
    if (wd_[i] != 0.0 && !decoupled_) g = g + p * wd_[i];
    if (wd_[i] != 0.0 && decoupled_) p = p * (1.0 - lr * wd_[i]);
    const Tensor m = state_[i] * b1_ + g * (1.0 - b1_);
    const Tensor v = state_[n_ + i] * b2_ + g * g * (1.0 - b2_);
    const Tensor m_hat = m / (1.0 - nb1t), v_hat = v / (1.0 - nb2t);
    params_[i].assign(p - m_hat / (v_hat.sqrt() + eps_) * lr);
    state_[i].assign(m);
    state_[n_ + i].assign(v);
  }
  b1t.assign(nb1t);
  b2t.assign(nb2t);
}

}  // namespace anneal::nn
