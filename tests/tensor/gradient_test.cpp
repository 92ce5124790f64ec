// Every gradient rule against central finite differences in float64 (on the CPU), plus whole-model checks.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "anneal/tensor/gradient.h"
#include "anneal/tensor/tensor.h"
#include "../support/device_float.h"

using namespace anneal;
using anneal::testing::device_float;
using anneal::testing::OnTheCpu;

namespace {

std::vector<double> random_values(size_t n, uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist{lo, hi};
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Gradients are computed in device_float(): on WebGPU, float32 gradients on the device are checked
// against finite differences that still run in float64 on the CPU.
Tensor input(const std::vector<double>& v, const Shape& shape, DType dtype) {
  if (dtype == dtypes::float64) return Tensor::from_vector(v, shape);
  return Tensor::from_vector(std::vector<float>(v.begin(), v.end()), shape);
}

// loss = sum(f(inputs) * w) for fixed random w, so every output element matters differently.
Tensor build_loss(const Fn& f, const std::vector<std::vector<double>>& values, const std::vector<Shape>& shapes,
                  const std::vector<double>& weights, DType dtype, std::vector<Tensor>& inputs) {
  inputs.clear();
  for (size_t i = 0; i < values.size(); ++i) inputs.push_back(input(values[i], shapes[i], dtype));
  Tensor out = f(inputs);
  return (out * input(weights, out.shape(), dtype)).sum();
}

void check_gradients(const char* name, const Fn& f, const std::vector<Shape>& shapes, double lo = -2, double hi = 2,
                     double tol = 1e-6) {
  SCOPED_TRACE(name);
  const DType dtype = device_float();
  const double rtol = dtype == dtypes::float64 ? 1e-5 : 1e-4;
  if (dtype != dtypes::float64) tol = std::max(tol, 1e-4);
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < shapes.size(); ++i) values.push_back(random_values(size_t(numel(shapes[i])), 100 + i, lo, hi));
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < shapes.size(); ++i) inputs.push_back(input(values[i], shapes[i], dtype));
  const std::vector<double> weights = random_values(size_t(f(inputs).numel()), 7, -1, 1);

  // Gradients are taken on the graph, before anything realizes it.
  const Tensor loss = build_loss(f, values, shapes, weights, dtype, inputs);
  const std::vector<Tensor> grads = gradient(loss, inputs);
  auto value_at = [&](const std::vector<std::vector<double>>& v) {
    const OnTheCpu cpu;
    std::vector<Tensor> in;
    return build_loss(f, v, shapes, weights, dtypes::float64, in).item<double>();
  };
  const double eps = 1e-6;
  for (size_t p = 0; p < values.size(); ++p) {
    const std::vector<double> analytic = Tensor(grads[p]).to_vector<double>();
    ASSERT_EQ(analytic.size(), values[p].size());
    for (size_t i = 0; i < values[p].size(); ++i) {
      auto plus = values, minus = values;
      plus[p][i] += eps;
      minus[p][i] -= eps;
      const double numeric = (value_at(plus) - value_at(minus)) / (2 * eps);
      EXPECT_NEAR(analytic[i], numeric, tol + rtol * std::fabs(numeric)) << "input " << p << " element " << i;
    }
  }
}

}  // namespace

TEST(Gradient, ElementwiseRules) {
  check_gradients("add", [](auto& x) { return x[0] + x[1]; }, {{2, 3}, {2, 3}});
  check_gradients("broadcast mul", [](auto& x) { return x[0] * x[1]; }, {{2, 3}, {3}});
  check_gradients("sub/div", [](auto& x) { return (x[0] - x[1]) / (x[1] * x[1] + 1.0); }, {{4}, {4}});
  check_gradients("maximum", [](auto& x) { return x[0].maximum(x[1]); }, {{5}, {5}});
  check_gradients("exp/log", [](auto& x) { return x[0].exp() + (x[0] * x[0] + 0.5).log(); }, {{5}});
  check_gradients("sqrt", [](auto& x) { return x[0].sqrt(); }, {{4}}, 0.5, 2);
  check_gradients("sin/cos", [](auto& x) { return x[0].sin() * x[0].cos(); }, {{5}});
  check_gradients("tanh/sigmoid", [](auto& x) { return x[0].tanh() + x[0].sigmoid(); }, {{5}});
  check_gradients("relu", [](auto& x) { return x[0].relu(); }, {{6}});
  check_gradients("gelu", [](auto& x) { return x[0].gelu(); }, {{6}});
  check_gradients("pow", [](auto& x) { return x[0].pow(x[1]); }, {{4}, {4}}, 0.5, 2);
  check_gradients("where", [](auto& x) { return x[0].gt(x[1]).where(x[0] * 2.0, x[1] * x[1]); }, {{6}, {6}});
  check_gradients("abs", [](auto& x) { return x[0].abs(); }, {{6}});
}

TEST(Gradient, MovementRules) {
  check_gradients("reshape/permute", [](auto& x) { return x[0].reshape({3, 2, 2}).permute({2, 0, 1}); }, {{4, 3}});
  check_gradients("expand", [](auto& x) { return x[0].reshape({3, 1}).expand({3, 4}) * x[1]; }, {{3}, {3, 4}});
  check_gradients("pad/shrink", [](auto& x) { return x[0].pad({{1, 2}, {0, 1}}).shrink({{0, 4}, {1, 3}}); }, {{3, 3}});
  check_gradients("flip", [](auto& x) { return x[0].flip({0}) * x[0]; }, {{5}});
  check_gradients("cat/stack", [](auto& x) { return Tensor::stack({Tensor::cat({x[0], x[1]}, 0), x[1].pad({{2, 0}})}); },
                  {{2}, {2}});
  check_gradients("strided slice", [](auto& x) { return x[0].slice(0, 1, 7, 2); }, {{8}});
}

TEST(Gradient, ReductionsAndComposites) {
  check_gradients("sum", [](auto& x) { return x[0].sum({1}); }, {{3, 4}});
  check_gradients("max", [](auto& x) { return x[0].max({0}); }, {{4, 3}});
  check_gradients("mean/var", [](auto& x) { return x[0].mean({1}) + x[0].var({1}); }, {{3, 4}});
  check_gradients("softmax", [](auto& x) { return x[0].softmax(-1); }, {{3, 4}});
  check_gradients("log_softmax", [](auto& x) { return x[0].log_softmax(-1); }, {{2, 5}});
  check_gradients("matmul", [](auto& x) { return x[0].matmul(x[1]); }, {{3, 4}, {4, 2}});
  check_gradients("conv2d", [](auto& x) { return x[0].conv2d(x[1], x[2], {1, 1}, {1, 1}); }, {{1, 2, 4, 4}, {3, 2, 3, 3}, {3}},
                  -2, 2, 1e-5);
  check_gradients("max_pool2d", [](auto& x) { return x[0].max_pool2d({2, 2}); }, {{1, 1, 4, 4}});
  check_gradients("cumsum", [](auto& x) { return x[0].cumsum(0); }, {{5}});
  // Windows of up to 16 elements are a WINDOW op (gradient: shifted, dilated pads); longer ones the
  // tiled copies (gradient through the movement ops): both, with strides and dilations.
  check_gradients("windows stride 2 dilation 2", [](auto& x) { return x[0].windows(1, 3, 2, 2) * x[1]; }, {{2, 9}, {2, 3, 3}});
  check_gradients("long windows", [](auto& x) { return x[0].windows(0, 17, 2, 1); }, {{20}});
  check_gradients("cumsum 20", [](auto& x) { return x[0].cumsum(0); }, {{20}});
  check_gradients("strided dilated conv2d", [](auto& x) { return x[0].conv2d(x[1], Tensor(), {2, 1}, {1, 0}, {1, 2}); },
                  {{1, 2, 6, 7}, {2, 2, 2, 3}}, -2, 2, 1e-5);
  check_gradients("overlapping max_pool2d", [](auto& x) { return x[0].max_pool2d({3, 3}, {2, 2}, {1, 1}); }, {{1, 2, 5, 5}});
}

TEST(Gradient, WholeMlpWithCrossEntropy) {
  // 6 -> 5 -> 3 with ReLU, cross-entropy against fixed labels.
  check_gradients("mlp", [](auto& x) {
    const Tensor h = (x[0].matmul(x[1]) + x[2]).relu();
    const Tensor logits = h.matmul(x[3]) + x[4];
    const Tensor labels = Tensor::from_vector(std::vector<int32_t>{0, 2, 1, 2}, {4});
    return -(logits.log_softmax(-1) * labels.one_hot(3).cast(logits.dtype())).sum({1}).mean();
  }, {{4, 6}, {6, 5}, {5}, {5, 3}, {3}}, -1, 1, 1e-5);
}

TEST(Gradient, WholeConvNet) {
  check_gradients("convnet", [](auto& x) {
    const Tensor h = x[0].conv2d(x[1], x[2], {1, 1}, {1, 1}).relu().max_pool2d({2, 2});
    return h.reshape({2, -1}).matmul(x[3]).log_softmax(-1);
  }, {{2, 1, 4, 4}, {2, 1, 3, 3}, {2}, {8, 3}}, -1, 1, 1e-5);
}

TEST(Gradient, BackwardFillsParametersAndAccumulates) {
  Tensor w = input({1, 2, 3}, {3}, device_float()).requires_grad();
  Tensor x = input({4, 5, 6}, {3}, device_float());
  Tensor loss = (w * x).sum();
  loss.backward();
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{4, 5, 6}));
  EXPECT_FALSE(x.grad().defined());
  (w * w).sum().backward();  // accumulates 2w
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{6, 9, 12}));
  w.zero_grad();
  (w.detach() * w).sum().backward();  // no gradient through the detached factor
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{1, 2, 3}));
}

TEST(Gradient, BadUse) {
  Tensor w = Tensor::from_vector(std::vector<double>{1, 2}, {2}).requires_grad();
  EXPECT_THROW(w.backward(), Error);  // not a scalar
  EXPECT_THROW(Tensor::from_vector(std::vector<int32_t>{1}, {1}).requires_grad(), Error);
}

TEST(Gradient, Float32MaxOfRecomputedMatmulRoutesToTheArgmax) {
  // The max and the x == max test sit in different kernels that both recompute x @ w^T (the Linear
  // layout, whose reduction the C compiler may vectorise): they must agree bit for bit, or the
  // gradient share is 0/0.
  const int64_t rows = 8, k = 12, cols = 16;
  const std::vector<double> xv = random_values(size_t(rows * k), 1, -1, 1), wv = random_values(size_t(cols * k), 2, -1, 1);
  std::vector<float> xf(xv.begin(), xv.end()), wf(wv.begin(), wv.end());
  const Tensor x = Tensor::from_vector(xf, {rows, k}), w = Tensor::from_vector(wf, {cols, k});
  const Tensor b = Tensor::from_vector(std::vector<float>(size_t(cols), 0.25f), {cols});
  const Tensor y = x.matmul(w.transpose()) + b;
  const std::vector<Tensor> g = gradient(y.max({1}).sum(), {w});
  const std::vector<double> got = g[0].to_vector<double>(), yv = y.to_vector<double>();
  // Host oracle: dW[j][c] = sum over rows whose argmax is j of x[row][c].
  std::vector<double> want(size_t(cols * k), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t best = 0;
    for (int64_t j = 1; j < cols; ++j)
      if (yv[size_t(r * cols + j)] > yv[size_t(r * cols + best)]) best = j;
    for (int64_t c = 0; c < k; ++c) want[size_t(best * k + c)] += xf[size_t(r * k + c)];
  }
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << i;
}

// Issue 22, cause 9: equal lazy constants intern to one node, so parameters made from them must still
// be distinct leaves (a zeros bias once picked up another parameter's gradient).
TEST(Gradient, ParametersFromEqualConstantsKeepTheirOwnGradients) {
  Tensor p = Tensor::full({2}, 1.5).requires_grad(), q = Tensor::full({2}, 1.5).requires_grad();
  Tensor bias = Tensor::zeros({2}).requires_grad(), other = Tensor::zeros({2}).requires_grad();
  (p.sum() + (q * 3).sum() + (bias * 5).sum()).backward();
  EXPECT_EQ(p.grad().to_vector<float>(), std::vector<float>({1, 1}));
  EXPECT_EQ(q.grad().to_vector<float>(), std::vector<float>({3, 3}));
  EXPECT_EQ(bias.grad().to_vector<float>(), std::vector<float>({5, 5}));
  EXPECT_FALSE(other.grad().defined());  // not in the loss's graph
  EXPECT_EQ(p.to_vector<float>(), std::vector<float>({1.5f, 1.5f}));
}

// Issue 22, cause 8: a loss read with item() before backward(), or an intermediate realized on the way,
// lost its gradient silently (x.grad() undefined; d sum(exp(z) * z) / dz computed as if exp(z) were a
// constant). Realized values keep the graph they came from while they live. Oracle: the gradient of
// the same loss never realized, and its known form exp(z) * (1 + z).
TEST(Gradient, RealizingBeforeBackwardKeepsTheGradient) {
  const std::vector<double> zv = {0.5, -1.0, 2.0};
  Tensor z = input(zv, {3}, device_float()).requires_grad();
  Tensor loss = (z * z).sum();
  EXPECT_NEAR(loss.item<double>(), 5.25, 1e-6);  // realizes the loss
  loss.backward();
  ASSERT_TRUE(z.grad().defined());
  const std::vector<double> g = z.grad().to_vector<double>();
  for (size_t i = 0; i < zv.size(); ++i) EXPECT_NEAR(g[i], 2 * zv[i], 1e-6) << i;

  z.zero_grad();
  Tensor e = z.exp();
  e.realize();  // an intermediate realized before the loss is built on it
  (e * z).sum().backward();
  const std::vector<double> ge = z.grad().to_vector<double>();
  for (size_t i = 0; i < zv.size(); ++i) EXPECT_NEAR(ge[i], std::exp(zv[i]) * (1 + zv[i]), 1e-4 * std::exp(zv[i])) << i;
  const std::vector<double> lazy = gradient((z.exp() * z).sum(), {z})[0].to_vector<double>();
  for (size_t i = 0; i < zv.size(); ++i) EXPECT_NEAR(ge[i], lazy[i], 1e-6 * std::fabs(lazy[i])) << i;
}
