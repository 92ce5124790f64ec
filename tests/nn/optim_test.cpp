// Layers and optimizers: updates against the textbook formulas evaluated here in double precision,
// and a model whose loss must fall.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "anneal/engine/engine.h"
#include "anneal/nn/layers.h"
#include "anneal/nn/optim.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/error.h"
#include "anneal/tensor/provenance.h"
#include "anneal/tensor/random.h"
#include "../support/device_float.h"

using namespace anneal;

namespace {
// Parameters in device_float(), checked against the formulas in double (float_tol on float32 devices).
Tensor param(std::vector<double> v) { return anneal::testing::float_tensor(v, {int64_t(v.size())}).requires_grad(); }
using anneal::testing::float_tensor;
using anneal::testing::float_tol;
}  // namespace

TEST(Optim, AdamMatchesTheFormulaOverSeveralSteps) {
  const std::vector<double> p0 = {0.5, -1.0, 2.0}, c = {1.5, -0.25, 3.0};
  Tensor p = param(p0);
  nn::Adam opt({p}, 0.1, 0.9, 0.999, 1e-8, 0.01);
  std::vector<double> want = p0, m(3, 0), v(3, 0);
  for (int t = 1; t <= 3; ++t) {
    Tensor loss = (p * p * float_tensor(c, {3})).sum();  // grad = 2*c*p
    opt.step(loss);
    for (size_t i = 0; i < 3; ++i) {
      const double g = 2 * c[i] * want[i] + 0.01 * want[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      const double mh = m[i] / (1 - std::pow(0.9, t)), vh = v[i] / (1 - std::pow(0.999, t));
      want[i] -= 0.1 * mh / (std::sqrt(vh) + 1e-8);
    }
    const std::vector<double> got = p.to_vector<double>();
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], float_tol(1e-12)) << "step " << t << " element " << i;
  }
}

TEST(Optim, AdamWDecouplesWeightDecay) {
  Tensor p = param({1.0, -2.0});
  nn::AdamW opt({p}, 0.1, 0.9, 0.999, 1e-8, 0.5);
  Tensor zero_grad_loss = (p * 0.0).sum();  // zero gradient: only the decay acts
  opt.step(zero_grad_loss);
  const std::vector<double> got = p.to_vector<double>();
  EXPECT_NEAR(got[0], 1.0 * (1 - 0.1 * 0.5), float_tol(1e-12));
  EXPECT_NEAR(got[1], -2.0 * (1 - 0.1 * 0.5), float_tol(1e-12));
}

TEST(Optim, SgdMomentumAndNesterovMatchTheFormula) {
  for (bool nesterov : {false, true}) {
    Tensor p = param({1.0, -3.0});
    nn::SGD opt({p}, 0.1, 0.9, nesterov, 0.1);
    std::vector<double> want = {1.0, -3.0}, buf = {0, 0};
    for (int t = 0; t < 3; ++t) {
      Tensor loss = (p * p).sum();
      opt.step(loss);
      for (size_t i = 0; i < 2; ++i) {
        double g = 2 * want[i] + 0.1 * want[i];
        buf[i] = 0.9 * buf[i] + g;
        g = nesterov ? g + 0.9 * buf[i] : buf[i];
        want[i] -= 0.1 * g;
      }
    }
    const std::vector<double> got = p.to_vector<double>();
    EXPECT_NEAR(got[0], want[0], float_tol(1e-12));
    EXPECT_NEAR(got[1], want[1], float_tol(1e-12));
  }
}

TEST(Optim, OneScheduleAndTheSameKernelsEveryStep) {
  manual_seed(1);
  nn::Sequential model;
  model.add<nn::Linear>(8, 16).add<nn::ReLU>().add<nn::Linear>(16, 3);
  nn::Adam opt(model.parameters(), 1e-2);
  Tensor x = Tensor::randn({32, 8});
  Tensor y = Tensor::randint({32}, 0, 3);
  auto step = [&] {
    Tensor loss = nn::cross_entropy(model(x), y);
    return opt.step(loss);
  };
  step();  // the first step schedules
  const ScheduleCacheStats before = schedule_cache_stats();
  step();
  const ScheduleCacheStats after = schedule_cache_stats();
  EXPECT_EQ(after.misses + after.hits, before.misses + before.hits + 1);  // one schedule per step
  EXPECT_EQ(after.misses, before.misses);                                 // and it was cached
}

TEST(Optim, MlpLossFallsOnALearnableProblem) {
  manual_seed(3);
  // Labels are a fixed function of the inputs: argmax of a random linear map.
  Tensor x = Tensor::randn({64, 10});
  Tensor w_true = Tensor::randn({10, 4});
  Tensor y = x.matmul(w_true).argmax(1);
  y.realize();
  nn::Sequential model;
  model.add<nn::Linear>(10, 32).add<nn::ReLU>().add<nn::Linear>(32, 4);
  nn::Adam opt(model.parameters(), 1e-2);
  double first = 0, last = 0;
  for (int i = 0; i < 60; ++i) {
    Tensor loss = nn::cross_entropy(model(x), y);
    last = opt.step(loss);
    if (i == 0) first = last;
  }
  EXPECT_LT(last, first * 0.3) << "first " << first << " last " << last;
  Tensor acc = model(x).argmax(1).eq(y).cast(dtypes::float32).mean();
  EXPECT_GT(acc.item<float>(), 0.9f);
}

TEST(Layers, ShapesNamesAndErrors) {
  manual_seed(0);
  nn::Sequential model;
  model.add<nn::Conv2d>(1, 4, 3, 1, 1).add<nn::ReLU>().add<nn::MaxPool2d>(2).add<nn::Flatten>().add<nn::Linear>(4 * 4 * 4, 10);
  EXPECT_EQ(model(Tensor::zeros({2, 1, 8, 8})).shape(), (Shape{2, 10}));
  std::vector<std::string> names;
  for (auto& [n, t] : model.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "4.weight", "4.bias"}));
  nn::Linear lin(3, 2);
  // PyTorch's default init bound for Linear(3, 2) is 1/sqrt(3).
  for (double w : lin.weight.to_vector<double>()) EXPECT_LE(std::fabs(w), 1 / std::sqrt(3.0));
  EXPECT_THROW(lin(Tensor::zeros({4, 5})), Error);
}

TEST(Provenance, AnMlpTrainingStepFusesAcrossTheSeam) {
  manual_seed(2);
  nn::Sequential model;
  model.add<nn::Linear>(16, 32).add<nn::ReLU>().add<nn::Linear>(32, 4);
  nn::Adam opt(model.parameters(), 1e-3);
  const Tensor loss = nn::cross_entropy(model(Tensor::rand({8, 16})), Tensor::randint({8}, 0, 4));
  std::vector<UOp> grads, updates{loss.uop()};
  for (const Tensor& g : opt.add_updates(loss)) grads.push_back(g.uop());
  for (Tensor* t : opt.updated_tensors()) updates.push_back(t->uop());
  const Provenance prov(loss.uop(), grads, std::vector<UOp>(updates.begin() + 1, updates.end()));
  const Schedule s = create_schedule(updates);
  EXPECT_GE(prov.seam_kernels(s), 1u);
  size_t forward_only = 0, optimizer = 0;
  for (const ScheduledKernel& k : s.kernels) {
    const std::vector<Phase> p = prov.phases_of(k);
    forward_only += p == std::vector<Phase>{Phase::Forward};
    optimizer += std::count(p.begin(), p.end(), Phase::Optimizer) > 0;
  }
  EXPECT_GE(forward_only, 1u);
  EXPECT_GE(optimizer, 1u);
  EXPECT_EQ(prov.phase_of(loss.uop()), Phase::Forward);
  EXPECT_EQ(prov.phase_of(grads[0]), Phase::Backward);
  EXPECT_EQ(prov.phase_of(updates.back()), Phase::Optimizer);
}

TEST(Optim, ChangingTheLearningRateKeepsTheCompiledStep) {
  Tensor p = param({1.0, -2.0});
  const Tensor c = float_tensor({3.0, 0.5}, {2});
  nn::SGD opt({p}, 0.1);
  std::vector<double> want = {1.0, -2.0};
  size_t misses_after_first = 0;
  for (int t = 0; t < 4; ++t) {
    const double lr = nn::warmup_cosine_lr(t, 2, 4, 0.1, 0.01);
    opt.set_lr(lr);
    EXPECT_EQ(opt.lr(), lr);
    Tensor loss = (p * c).sum();  // gradient c
    opt.step(loss);
    if (t == 0) misses_after_first = schedule_cache_stats().misses;
    for (size_t i = 0; i < 2; ++i) want[i] -= lr * (i == 0 ? 3.0 : 0.5);
    const std::vector<double> got = p.to_vector<double>();
    for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(got[i], want[i], float_tol(1e-15)) << "step " << t;
  }
  EXPECT_EQ(schedule_cache_stats().misses, misses_after_first);  // no step after the first was scheduled anew
}

TEST(Optim, WarmupCosineSchedule) {
  EXPECT_DOUBLE_EQ(nn::warmup_cosine_lr(0, 10, 110, 1e-3, 1e-4), 1e-4);   // (0 + 1) / 10 of the peak
  EXPECT_DOUBLE_EQ(nn::warmup_cosine_lr(9, 10, 110, 1e-3, 1e-4), 1e-3);   // warmed up
  EXPECT_DOUBLE_EQ(nn::warmup_cosine_lr(10, 10, 110, 1e-3, 1e-4), 1e-3);  // the cosine starts at the peak
  EXPECT_NEAR(nn::warmup_cosine_lr(60, 10, 110, 1e-3, 1e-4), 5.5e-4, 1e-15);  // half way: the mean
  EXPECT_DOUBLE_EQ(nn::warmup_cosine_lr(110, 10, 110, 1e-3, 1e-4), 1e-4);
  EXPECT_DOUBLE_EQ(nn::warmup_cosine_lr(500, 10, 110, 1e-3, 1e-4), 1e-4);
  EXPECT_THROW(nn::warmup_cosine_lr(0, 10, 10, 1e-3, 1e-4), Error);
}

TEST(Optim, AdamWGroupsDecayOnlyTheirOwnParameters) {
  Tensor w = float_tensor({1.0, -2.0, 0.5, 4.0}, {2, 2}).requires_grad();
  Tensor b = param({3.0, -1.0});
  nn::Linear probe(2, 2);  // decay_groups splits by dimensions
  const auto groups = nn::decay_groups(probe, 0.5);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].params.size(), 1u);  // the weight
  EXPECT_EQ(groups[1].params.size(), 1u);  // the bias
  nn::AdamW opt(std::vector<nn::ParamGroup>{{{w}, 0.5}, {{b}, 0.0}}, 0.1);
  Tensor zero_grad_loss = (w * 0.0).sum() + (b * 0.0).sum();
  opt.step(zero_grad_loss);
  const std::vector<double> gw = w.to_vector<double>(), gb = b.to_vector<double>();
  EXPECT_NEAR(gw[3], 4.0 * (1 - 0.1 * 0.5), float_tol(1e-12));
  EXPECT_EQ(gb, (std::vector<double>{3.0, -1.0}));  // no decay, zero gradient: unchanged
}

TEST(Optim, GradientClippingBoundsTheGlobalNorm) {
  for (double max_norm : {1.0, 100.0}) {
    Tensor p = param({1.0, 2.0}), q = param({-1.0});
    const Tensor c = float_tensor({3.0, 4.0}, {2});
    nn::SGD opt({p, q}, 1.0);
    opt.clip_grad_norm(max_norm);
    Tensor loss = (p * c).sum() + (q * 12.0).sum();  // gradients (3, 4) and (12): norm 13
    opt.step(loss);
    EXPECT_NEAR(opt.grad_norm().item<double>(), 13.0, float_tol(1e-12));
    const double scale = std::min(1.0, max_norm / (13.0 + 1e-6));
    const std::vector<double> gp = p.to_vector<double>(), gq = q.to_vector<double>();
    EXPECT_NEAR(gp[0], 1.0 - 3.0 * scale, float_tol(1e-12));
    EXPECT_NEAR(gp[1], 2.0 - 4.0 * scale, float_tol(1e-12));
    EXPECT_NEAR(gq[0], -1.0 - 12.0 * scale, float_tol(1e-12));
  }
}
