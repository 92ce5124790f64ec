// LayerNorm, Embedding, Dropout and BatchNorm2d against their definitions computed here on the host;
// how a model's parameters are initialized.
#include <gtest/gtest.h>

#include <cmath>

#include "anneal/engine/engine.h"
#include "anneal/models/classifier.h"
#include "anneal/nn/layers.h"
#include "anneal/nn/optim.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/tensor/random.h"

using namespace anneal;

TEST(LayerNorm, NormalisesTheLastAxis) {
  manual_seed(1);
  nn::LayerNorm ln(5);
  ln.weight.assign(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5}, {5}));
  const Tensor x = Tensor::randn({3, 5}) * 3.0 + 1.0;
  const std::vector<double> xv = x.to_vector<double>(), y = ln(x).to_vector<double>();
  for (int r = 0; r < 3; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < 5; ++c) mean += xv[size_t(r * 5 + c)] / 5;
    for (int c = 0; c < 5; ++c) var += std::pow(xv[size_t(r * 5 + c)] - mean, 2) / 5;
    for (int c = 0; c < 5; ++c)
      EXPECT_NEAR(y[size_t(r * 5 + c)], (xv[size_t(r * 5 + c)] - mean) / std::sqrt(var + 1e-5) * (c + 1), 1e-4);
  }
}

TEST(Embedding, LooksUpRows) {
  manual_seed(2);
  nn::Embedding emb(6, 3);
  const std::vector<double> w = emb.weight.to_vector<double>();
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{4, 0, 4, 5}, {2, 2});
  const Tensor out = emb(idx);
  ASSERT_EQ(out.shape(), (Shape{2, 2, 3}));
  const std::vector<double> got = Tensor(out).to_vector<double>();
  const int rows[4] = {4, 0, 4, 5};
  for (int i = 0; i < 4; ++i)
    for (int d = 0; d < 3; ++d) EXPECT_DOUBLE_EQ(got[size_t(i * 3 + d)], w[size_t(rows[i] * 3 + d)]);
}

TEST(Dropout, ZeroesAFractionAndRescalesInTrainingOnly) {
  manual_seed(3);
  nn::Dropout drop(0.25);
  const Tensor x = Tensor::ones({20000});
  const std::vector<double> y = drop(x).to_vector<double>();
  size_t zeros = 0;
  for (double v : y) {
    if (v == 0.0) ++zeros;
    else EXPECT_NEAR(v, 1.0 / 0.75, 1e-6);
  }
  EXPECT_NEAR(double(zeros) / double(y.size()), 0.25, 0.015);
  drop.train(false);
  EXPECT_EQ(drop(x).to_vector<double>(), x.to_vector<double>());
}

TEST(BatchNorm2d, TrainingStatisticsAndRunningAverages) {
  manual_seed(4);
  nn::BatchNorm2d bn(2);
  const Tensor x = Tensor::randn({4, 2, 3, 3}) * 2.0 + 0.5;
  const std::vector<double> xv = x.to_vector<double>();
  Tensor y = bn(x);
  realize({&y, &bn.running_mean, &bn.running_var});
  const std::vector<double> yv = y.to_vector<double>();
  for (int c = 0; c < 2; ++c) {
    double mean = 0, var = 0, ymean = 0;
    const int n = 4 * 9;
    auto at = [&](const std::vector<double>& v, int b, int i) { return v[size_t((b * 2 + c) * 9 + i)]; };
    for (int b = 0; b < 4; ++b)
      for (int i = 0; i < 9; ++i) mean += at(xv, b, i) / n;
    for (int b = 0; b < 4; ++b)
      for (int i = 0; i < 9; ++i) {
        var += std::pow(at(xv, b, i) - mean, 2) / n;
        ymean += at(yv, b, i) / n;
      }
    for (int b = 0; b < 4; ++b)
      for (int i = 0; i < 9; ++i) EXPECT_NEAR(at(yv, b, i), (at(xv, b, i) - mean) / std::sqrt(var + 1e-5), 1e-4);
    EXPECT_NEAR(ymean, 0.0, 1e-5);  // normalised per channel
    EXPECT_NEAR(bn.running_mean.to_vector<double>()[size_t(c)], 0.1 * mean, 1e-5);
    EXPECT_NEAR(bn.running_var.to_vector<double>()[size_t(c)], 0.9 + 0.1 * var * n / (n - 1), 1e-5);
  }
  bn.train(false);  // eval: the running statistics normalise
  const std::vector<double> e = bn(x).to_vector<double>();
  const std::vector<double> rm = bn.running_mean.to_vector<double>(), rv = bn.running_var.to_vector<double>();
  EXPECT_NEAR(e[0], (xv[0] - rm[0]) / std::sqrt(rv[0] + 1e-5), 1e-4);
}

TEST(BatchNorm2d, TrainsInsideAConvNetAndKeepsTheGraphBounded) {
  manual_seed(5);
  nn::Sequential model;
  model.add<nn::Conv2d>(1, 4, 3, 1, 1).add<nn::BatchNorm2d>(4).add<nn::ReLU>().add<nn::Flatten>().add<nn::Linear>(4 * 36, 3);
  nn::Adam opt(model.parameters(), 1e-2);
  const Tensor x = Tensor::randn({8, 1, 6, 6});
  const Tensor y = Tensor::randint({8}, 0, 3);
  double first = 0, last = 0;
  for (int i = 0; i < 15; ++i) {
    Tensor loss = nn::cross_entropy(model(x), y);
    last = opt.step(loss, model.buffers());
    if (i == 0) first = last;
  }
  EXPECT_LT(last, first);
  for (const Tensor& b : model.buffers()) {  // realized every step: no graph grows across steps
    UOp u = b.uop();
    while (u.is(Ops::RESHAPE)) u = u.src(0);
    EXPECT_TRUE(u.is(Ops::BUFFER));
  }
}

// A model's parameters initialize in one program (one compile instead of one per parameter), with the
// same values as layers built one by one, realized and marked as parameters; constant-initialized
// parameters and optimizer state compile nothing (written from the host).
// Initial values are drawn and computed on the host: making a model compiles and runs nothing, and the
// values are the formula's over the same draws (float32 rounding of the double result).
TEST(Initialization, AModelInitializesWithoutKernelsFromTheHostDraws) {
  manual_seed(20261202);
  const CompileStats before = compile_stats();
  const size_t launched = kernels_run();
  std::shared_ptr<nn::Sequential> mlp = make_classifier("mlp");
  EXPECT_EQ(compile_stats().programs, before.programs);
  EXPECT_EQ(kernels_run(), launched);
  manual_seed(20261202);
  std::vector<std::vector<float>> want;
  for (auto [in, out] : {std::pair{784, 512}, {512, 512}, {512, 10}}) {
    const double bound = 1.0 / std::sqrt(double(in));
    for (int64_t n : {int64_t(in) * out, int64_t(out)}) {  // the weight's draw, then the bias's
      std::vector<float> v;
      for (float u : rand_values(size_t(n))) v.push_back(float(double(u) * 2.0 * bound - bound));
      want.push_back(v);
    }
  }
  const std::vector<Tensor> got = mlp->parameters();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(view_buffer(got[i].uop()).is(Ops::BUFFER)) << i;
    EXPECT_TRUE(got[i].requires_grad_enabled()) << i;
    EXPECT_EQ(got[i].to_vector<float>(), want[i]) << i;
  }
  const CompileStats after_init = compile_stats();
  nn::LayerNorm norm(64);
  nn::Adam opt(mlp->parameters(), 1e-3);
  EXPECT_EQ(compile_stats().programs, after_init.programs);
  EXPECT_EQ(norm.weight.to_vector<float>(), std::vector<float>(64, 1.0f));
}

// Placeholders are buffers with no memory: building a model under SkipInit runs and compiles nothing
// and allocates nothing (a GPT-2 load replaces every weight right after). Read before a value is
// assigned, a placeholder holds zeros; an assigned value replaces it.
TEST(SkipInit, PlaceholdersCostNothingAndReadAsZeros) {
  const size_t programs = compile_stats().programs, launched = kernels_launched();
  std::shared_ptr<nn::Sequential> model;
  {
    nn::SkipInit skip;
    model = make_classifier("mlp");
  }
  EXPECT_EQ(compile_stats().programs, programs);
  EXPECT_EQ(kernels_launched(), launched);
  std::vector<Tensor> params = model->parameters();
  ASSERT_EQ(params.size(), 6u);
  for (const Tensor& p : params) EXPECT_FALSE(view_buffer(p.uop()).arg().as<BufferArg>()->storage) << shape_str(p.shape());
  EXPECT_NE(params[0].uop(), params[2].uop());  // distinct leaves, though equal in shape and value
  EXPECT_EQ((params[1] + 1.0).to_vector<float>(), std::vector<float>(512, 1.0f));
  EXPECT_EQ(params[3].to_vector<float>(), std::vector<float>(512, 0.0f));
  params[5].assign(Tensor::from_vector(std::vector<float>(10, 2.5f), {10}));
  EXPECT_EQ((params[5] * 2.0).to_vector<float>(), std::vector<float>(10, 5.0f));
}
