#include "anneal/nn/optim.h"

namespace anneal::nn {
namespace {
// A fresh, realized buffer of `value` shaped like `like` (optimizer state must be a buffer so that
// every step has the same graph structure and hits the schedule cache).
Tensor state_like(const Tensor& like, double value) {
  return Tensor::full(like.shape(), value, like.dtype()).contiguous().realize();
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
  for (const Tensor& p : params_)
    check(p.defined() && p.requires_grad_enabled(), "optimizer: parameters must be tensors with requires_grad");
}

std::vector<Tensor> Optimizer::add_updates(const Tensor& loss) {
  std::vector<Tensor> grads = gradient(loss, params_);
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
  for (Tensor* t : updated_tensors()) targets.push_back(t);
  for (Tensor& t : extra) targets.push_back(&t);
  realize(targets);
  return loss.item<double>();
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, bool nesterov, double weight_decay)
    : Optimizer(std::move(params)), lr_(lr), momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {
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
    params_[i].assign(params_[i] - g * lr_);
  }
}

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay,
           bool decoupled)
    : Optimizer(std::move(params)), lr_(lr), b1_(beta1), b2_(beta2), eps_(eps), wd_(weight_decay),
      decoupled_(decoupled), n_(params_.size()) {
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
    if (wd_ != 0.0 && !decoupled_) g = g + p * wd_;
    if (wd_ != 0.0 && decoupled_) p = p * (1.0 - lr_ * wd_);
    const Tensor m = state_[i] * b1_ + g * (1.0 - b1_);
    const Tensor v = state_[n_ + i] * b2_ + g * g * (1.0 - b2_);
    const Tensor m_hat = m / (1.0 - nb1t), v_hat = v / (1.0 - nb2t);
    params_[i].assign(p - m_hat / (v_hat.sqrt() + eps_) * lr_);
    state_[i].assign(m);
    state_[n_ + i].assign(v);
  }
  b1t.assign(nb1t);
  b2t.assign(nb2t);
}

}  // namespace anneal::nn
