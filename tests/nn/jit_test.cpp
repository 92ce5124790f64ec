// The JIT: replays are bit-identical to running the step normally, skip scheduling entirely, and a
// different input signature falls back to a normal run.
#include <gtest/gtest.h>

#include "anneal/nn/layers.h"
#include "anneal/nn/optim.h"
#include "anneal/schedule/schedule.h"
#include "anneal/tensor/jit.h"
#include "anneal/tensor/random.h"

using namespace anneal;

namespace {

struct Trainer {
  nn::Sequential model;
  std::unique_ptr<nn::Adam> opt;
  explicit Trainer(uint64_t seed) {
    manual_seed(seed);
    model.add<nn::Linear>(12, 16).add<nn::ReLU>().add<nn::Linear>(16, 4);
    opt = std::make_unique<nn::Adam>(model.parameters(), 1e-2);
  }
  Tensor step(const Tensor& x, const Tensor& y) {
    Tensor loss = nn::cross_entropy(model(x), y);
    opt->step(loss);
    return loss;
  }
};

std::vector<std::pair<Tensor, Tensor>> batches(int n, int64_t batch, uint64_t seed) {
  manual_seed(seed);
  std::vector<std::pair<Tensor, Tensor>> out;
  for (int i = 0; i < n; ++i) {
    Tensor x = Tensor::randn({batch, 12}), y = Tensor::randint({batch}, 0, 4);
    x.realize();
    y.realize();
    out.push_back({x, y});
  }
  return out;
}

}  // namespace

TEST(Jit, ReplaysAreBitIdenticalAndSkipScheduling) {
  Trainer plain(7), jitted(7);
  Jit jit([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{jitted.step(in[0], in[1])}; });
  const auto data = batches(6, 8, 99);
  for (size_t i = 0; i < data.size(); ++i) {
    const ScheduleCacheStats before = schedule_cache_stats();
    const size_t kernels_before = kernels_run();
    const double want = plain.step(data[i].first, data[i].second).item<double>();
    const ScheduleCacheStats mid = schedule_cache_stats();
    const double got = jit({data[i].first, data[i].second})[0].item<double>();
    const ScheduleCacheStats after = schedule_cache_stats();
    EXPECT_EQ(got, want) << "step " << i;  // bit-identical
    if (i >= 2) {  // call 1 warms up, call 2 captures, then replays
      EXPECT_EQ(after.hits + after.misses, mid.hits + mid.misses) << "a replay scheduled (step " << i << ")";
      EXPECT_GT(kernels_run(), kernels_before);
    }
    (void)before;
  }
  EXPECT_EQ(jit.captures(), 1u);
  EXPECT_EQ(jit.replays(), 4u);
  const nn::NamedTensors a = plain.model.named_parameters(), b = jitted.model.named_parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].second.to_vector<float>(), b[i].second.to_vector<float>()) << a[i].first;
}

TEST(Jit, ADifferentInputSignatureRunsTheFunctionAgain) {
  Trainer plain(3), jitted(3);
  Jit jit([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{jitted.step(in[0], in[1])}; });
  const auto small = batches(3, 8, 5), large = batches(2, 16, 6);
  for (const auto& [x, y] : small) EXPECT_EQ(jit({x, y})[0].item<double>(), plain.step(x, y).item<double>());
  EXPECT_EQ(jit.replays(), 1u);
  for (const auto& [x, y] : large) EXPECT_EQ(jit({x, y})[0].item<double>(), plain.step(x, y).item<double>());
  EXPECT_EQ(jit.replays(), 1u);  // the guard: batch 16 ran the function (warm-up, then capture)
  EXPECT_EQ(jit.captures(), 2u);
}
