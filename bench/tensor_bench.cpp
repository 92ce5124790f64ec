// End-to-end figures of the first slice on the CPU:
//  - W1: matmul 1024x1024 fp32 (schedule + cached compile + run), GFLOP/s = 2N^3/t;
//  - W2 and W3: MLP and conv net training steps;
//  - W7 (schedule part): scheduling and rendering the whole GPT-2 small forward graph (12 layers,
//    1x64 tokens) to C, with nothing cached.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "anneal/engine/engine.h"
#include "anneal/models/classifier.h"
#include "anneal/nn/layers.h"
#include "anneal/nn/optim.h"
#include "anneal/render/renderer.h"
#include "anneal/schedule/schedule.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/tensor.h"

using namespace anneal;

namespace {

Tensor random(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

void BM_W1_Matmul1024(benchmark::State& state) {
  const int64_t n = 1024;
  Tensor a = random({n, n}, 1), b = random({n, n}, 2);
  Tensor warm = a.matmul(b);
  warm.realize();  // compiles once; later iterations hit the in-process and disk caches
  for (auto _ : state) {
    Tensor c = a.matmul(b);
    c.realize();
    benchmark::DoNotOptimize(c.uop().get());
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * double(n * n * n) * double(state.iterations()), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}
BENCHMARK(BM_W1_Matmul1024)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// W2: one MLP training step (784-512-512-10, ReLU, batch 128, cross-entropy, Adam 1e-3), realized as
// one schedule. Compare with bench/peers/w2_mlp_step_torch.py in the same run.
void BM_W2_MlpTrainStep(benchmark::State& state) {
  manual_seed(0);
  nn::Sequential model;
  model.add<nn::Linear>(784, 512).add<nn::ReLU>().add<nn::Linear>(512, 512).add<nn::ReLU>().add<nn::Linear>(512, 10);
  nn::Adam opt(model.parameters(), 1e-3);
  const Tensor x = Tensor::rand({128, 784}), y = Tensor::randint({128}, 0, 10);
  for (int i = 0; i < 2; ++i) {  // warm-up: schedule and compile once
    Tensor loss = nn::cross_entropy(model(x), y);
    opt.step(loss);
  }
  for (auto _ : state) {
    Tensor loss = nn::cross_entropy(model(x), y);
    benchmark::DoNotOptimize(opt.step(loss));
  }
}
BENCHMARK(BM_W2_MlpTrainStep)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// W3: one training step of the Fashion-MNIST conv net (batch 128, Adam). Peer:
// bench/peers/w3_conv_step_torch.py.
void BM_W3_ConvTrainStep(benchmark::State& state) {
  manual_seed(0);
  auto model = make_classifier("conv");
  nn::Adam opt(model->parameters(), 1e-3);
  const Tensor x = Tensor::rand({128, 1, 28, 28}), y = Tensor::randint({128}, 0, 10);
  Tensor warm = nn::cross_entropy((*model)(x), y);
  opt.step(warm);
  for (auto _ : state) {
    Tensor loss = nn::cross_entropy((*model)(x), y);
    benchmark::DoNotOptimize(opt.step(loss));
  }
}
BENCHMARK(BM_W3_ConvTrainStep)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

Tensor layer_norm(const Tensor& x, const Tensor& g, const Tensor& b) {
  const Tensor centered = x - x.mean({-1}, true);
  return centered * ((centered * centered).mean({-1}, true) + 1e-5).rsqrt() * g + b;
}

// GPT-2 small forward on 1x64 tokens; weights are uninitialised buffers (only the graph matters).
Tensor gpt2_forward_graph() {
  const int64_t vocab = 50257, ctx = 64, d = 768, heads = 12, hd = 64, layers = 12;
  auto w = [](Shape s) { return Tensor::empty(std::move(s)); };
  Tensor tokens = Tensor::from_vector(std::vector<int32_t>(size_t(ctx), 7), {1, ctx});
  Tensor wte = w({vocab, d}), wpe = w({ctx, d});
  Tensor x = tokens.one_hot(vocab).cast(dtypes::float32).matmul(wte) + wpe.reshape({1, ctx, d});
  Tensor causal = Tensor::arange(ctx).reshape({ctx, 1}).ge(Tensor::arange(ctx).reshape({1, ctx}));
  for (int64_t l = 0; l < layers; ++l) {
    Tensor h = layer_norm(x, w({d}), w({d}));
    Tensor qkv = h.matmul(w({d, 3 * d})) + w({3 * d});
    auto head = [&](int64_t part) {
      return qkv.shrink({{0, 1}, {0, ctx}, {part * d, (part + 1) * d}}).reshape({1, ctx, heads, hd}).permute({0, 2, 1, 3});
    };
    Tensor s = head(0).matmul(head(1).transpose(-1, -2)) * (1.0 / std::sqrt(double(hd)));
    Tensor att = causal.where(s, s.scalar_like(-INFINITY)).softmax(-1).matmul(head(2));
    x = x + att.permute({0, 2, 1, 3}).reshape({1, ctx, d}).matmul(w({d, d})) + w({d});
    Tensor m = layer_norm(x, w({d}), w({d})).matmul(w({d, 4 * d})) + w({4 * d});
    x = x + m.gelu().matmul(w({4 * d, d})) + w({d});
  }
  return layer_norm(x, w({d}), w({d})).matmul(wte.transpose());
}

void BM_W7_ScheduleAndRenderGpt2Small(benchmark::State& state) {
  Tensor logits = gpt2_forward_graph();
  size_t kernels = 0;
  for (auto _ : state) {
    const Schedule s = create_schedule(std::vector<UOp>{logits.uop()});
    size_t bytes = 0;
    for (const ScheduledKernel& k : s.kernels) bytes += render_c(k).size();
    kernels = s.kernels.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["kernels"] = double(kernels);
}
BENCHMARK(BM_W7_ScheduleAndRenderGpt2Small)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
