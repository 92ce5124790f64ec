// The GPT: attention against direct loops, causality, and every parameter's gradient against float64
// central differences through the whole model and cross-entropy.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "anneal/engine/engine.h"
#include "anneal/nn/optim.h"
#include "anneal/nn/transformer.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/tensor/random.h"
#include "../support/device_float.h"

namespace anneal::nn {
namespace {

std::vector<double> random_values(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

TEST(Transformer, AttentionMatchesDirectLoops) {
  const int64_t B = 2, H = 3, T = 5, D = 4;
  const size_t n = size_t(B * H * T * D);
  const std::vector<double> q = random_values(n, 1), k = random_values(n, 2), v = random_values(n, 3);
  using anneal::testing::float_tensor;
  const std::vector<double> got = causal_attention(float_tensor(q, {B, H, T, D}), float_tensor(k, {B, H, T, D}),
                                                   float_tensor(v, {B, H, T, D}))
                                      .to_vector<double>();
  for (int64_t bh = 0; bh < B * H; ++bh)
    for (int64_t i = 0; i < T; ++i) {
      std::vector<double> w(size_t(i + 1));
      double mx = -INFINITY, sum = 0;
      for (int64_t j = 0; j <= i; ++j) {
        double s = 0;
        for (int64_t d = 0; d < D; ++d) s += q[size_t((bh * T + i) * D + d)] * k[size_t((bh * T + j) * D + d)];
        w[size_t(j)] = s / std::sqrt(double(D));
        mx = std::max(mx, w[size_t(j)]);
      }
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int64_t d = 0; d < D; ++d) {
        double want = 0;
        for (int64_t j = 0; j <= i; ++j) want += w[size_t(j)] / sum * v[size_t((bh * T + j) * D + d)];
        EXPECT_NEAR(got[size_t((bh * T + i) * D + d)], want, anneal::testing::float_tol(1e-12)) << bh << " " << i << " " << d;
      }
    }
}

TEST(Transformer, LaterTokensNeverChangeEarlierLogits) {
  manual_seed(3);
  GPT model({11, 6, 2, 2, 8});
  const Tensor a = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 4, 5, 6}, {1, 6});
  const Tensor b = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 9, 0, 10}, {1, 6});
  const std::vector<float> la = model(a).to_vector<float>(), lb = model(b).to_vector<float>();
  ASSERT_EQ(la.size(), 66u);
  for (size_t i = 0; i < 3 * 11; ++i) EXPECT_EQ(la[i], lb[i]) << i;  // positions 0..2 agree bit for bit
  bool differs = false;
  for (size_t i = 3 * 11; i < la.size(); ++i) differs |= la[i] != lb[i];
  EXPECT_TRUE(differs);
}

TEST(Transformer, GradientsMatchFiniteDifferences) {
  // The analytic gradients come from the device under test in device_float(); the finite differences
  // from the same model (its parameters copied) in float64 on the CPU, so that a device without
  // float64 (WebGPU) is checked too.
  const DType dtype = testing::device_float();
  const std::vector<int32_t> idx_values{1, 5, 2, 6, 0, 3, 3, 4}, target_values{5, 2, 6, 0, 3, 3, 4, 1};
  auto loss_of = [&](GPT& model) {
    const Tensor idx = Tensor::from_vector(idx_values, {2, 4}), targets = Tensor::from_vector(target_values, {8});
    return cross_entropy(model(idx).reshape({8, 7}), targets);
  };
  std::vector<Tensor> tensors;
  std::vector<std::vector<double>> grads;
  {
    DefaultFloat f(dtype);
    manual_seed(5);
    GPT model({7, 4, 2, 2, 8});
    for (const auto& [name, t] : model.named_parameters()) tensors.push_back(t);
    for (const Tensor& g : gradient(loss_of(model), tensors)) grads.push_back(g.to_vector<double>());
  }
  const testing::OnTheCpu cpu;
  DefaultFloat f64(dtypes::float64);
  manual_seed(5);
  GPT oracle({7, 4, 2, 2, 8});
  const NamedTensors params = oracle.named_parameters();
  ASSERT_EQ(params.size(), tensors.size());
  const double tol = dtype == dtypes::float64 ? 1e-6 : 1e-5, rtol = dtype == dtypes::float64 ? 1e-5 : 1e-4;
  int checked = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    const UOp buf = view_buffer(params[p].second.uop());
    std::vector<double> values = tensors[p].to_vector<double>();  // the point the gradients were taken at
    upload(buf, values.data());
    const std::vector<double>& g = grads[p];
    for (size_t e = 0; e < values.size(); e += std::max<size_t>(1, values.size() / 2)) {
      const double eps = 1e-6, keep = values[e];
      values[e] = keep + eps;
      upload(buf, values.data());
      const double up = loss_of(oracle).item<double>();
      values[e] = keep - eps;
      upload(buf, values.data());
      const double down = loss_of(oracle).item<double>();
      values[e] = keep;
      upload(buf, values.data());
      const double fd = (up - down) / (2 * eps);
      EXPECT_NEAR(g[e], fd, tol + rtol * std::fabs(fd)) << params[p].first << "[" << e << "]";
      ++checked;
    }
  }
  EXPECT_EQ(params.size(), 4u + 12u * 2u);  // wte, wpe, ln_f (2) + 12 per block
  EXPECT_GT(checked, 55);
}

TEST(Transformer, BadInputsAreClearErrors) {
  GPT model({11, 4, 1, 2, 8});
  auto error = [&](const Tensor& idx) {
    try {
      model(idx).realize();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error(Tensor::from_vector(std::vector<int32_t>(5, 1), {1, 5})), "GPT: 5 tokens do not fit the context of 4");
  EXPECT_EQ(error(Tensor::zeros({1, 3})), "GPT: input must be integer token ids of shape (batch, time), got (1, 3) float32");
  EXPECT_THROW(GPT({11, 4, 1, 3, 8}), Error);  // 8 is not a multiple of 3 heads
}

}  // namespace
}  // namespace anneal::nn

namespace anneal::nn {
namespace {

TEST(Transformer, GenerationIsSeededAndTopOneIsGreedy) {
  manual_seed(7);
  GPT model({13, 5, 1, 2, 8});
  const std::vector<int32_t> prompt = {3, 1, 4};
  const std::vector<int32_t> a = generate(model, prompt, 8, 1.0, 0, 42), b = generate(model, prompt, 8, 1.0, 0, 42);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 11u);
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), a.begin()));
  for (int32_t t : a) EXPECT_TRUE(t >= 0 && t < 13);
  // top_k = 1 and temperature 0 both take the most likely token, which the logits show directly.
  const std::vector<int32_t> greedy = generate(model, prompt, 4, 0.0), top1 = generate(model, prompt, 4, 0.7, 1, 9);
  EXPECT_EQ(greedy, top1);
  const std::vector<float> l = model(Tensor::from_vector(prompt, {1, 3})).to_vector<float>();
  const auto last = l.begin() + 2 * 13;
  EXPECT_EQ(greedy[3], int32_t(std::max_element(last, last + 13) - last));
  EXPECT_THROW(generate(model, {}, 1), Error);
  EXPECT_THROW(generate(model, {13}, 1), Error);
}

}  // namespace
}  // namespace anneal::nn

namespace anneal::nn {
namespace {

// Repeated layers are compiled once: kernels with one AST share one compiled function, so a training
// step of a 4-layer GPT runs more kernels than one of 2 layers but compiles exactly as many.
TEST(Transformer, RepeatedLayersCompileOnce) {
  auto step = [](int64_t layers) {
    manual_seed(3);
    GPT model(GPTConfig{17, 16, layers, 2, 32});  // sizes no other test uses: nothing is cached yet
    for (Tensor& p : model.parameters()) p.realize();
    AdamW opt(decay_groups(model, 0.1), 1e-3);
    Tensor x = Tensor::randint({2, 16}, 0, 17), y = Tensor::randint({32}, 0, 17);
    x.realize();
    y.realize();
    Tensor loss = cross_entropy(model(x).reshape({32, 17}), y);
    const CompileStats before = compile_stats();
    opt.step(loss);
    const CompileStats after = compile_stats();
    return std::make_pair(after.kernels - before.kernels, after.compiled_kernels - before.compiled_kernels);
  };
  const auto two = step(2), four = step(4);
  EXPECT_GT(two.second, 0u);
  EXPECT_GT(four.first, two.first + 20) << "two more layers add their forward, backward and update kernels";
  EXPECT_EQ(four.second, two.second) << "and no new code: " << two.first << " kernels, " << two.second
                                      << " compiled; " << four.first << " kernels, " << four.second << " compiled";
  EXPECT_LT(four.second * 2, four.first);
}

}  // namespace
}  // namespace anneal::nn

namespace anneal::nn {
namespace {

// Generation compiles its step once: the window's length is a variable (symbolic shapes), so the
// tokens after the first compile nothing (before, every token recompiled the whole program).
TEST(Transformer, GenerationCompilesOnlyItsFirstStep) {
  manual_seed(5);
  GPT model(GPTConfig{19, 12, 2, 2, 16});  // sizes no other test uses
  for (Tensor& p : model.parameters()) p.realize();
  const CompileStats before = compile_stats();
  const std::vector<int32_t> first = generate(model, {1, 2, 3}, 2, 1.0, 0, 7);
  const CompileStats after_two = compile_stats();
  const std::vector<int32_t> text = generate(model, {4, 5, 6, 7, 8}, 40, 0.8, 5, 9);  // past the 12-token window
  const CompileStats after_more = compile_stats();
  EXPECT_EQ(first.size(), 5u);
  EXPECT_EQ(text.size(), 45u);
  EXPECT_GT(after_two.programs, before.programs);
  EXPECT_EQ(after_more.programs, after_two.programs) << "40 more tokens compiled new programs";
}

}  // namespace
}  // namespace anneal::nn
