// Every Tensor op against the reference evaluator, on random inputs of several shapes.
#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>

#include "op_test_util.h"

using namespace anneal;
using namespace anneal::testing;

namespace {
const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 3}, {1, 5, 1}}, {{1}, {7}}, {{}, {2, 3}}, {{4, 1}, {1}}, {{0, 3}, {3}}};
}  // namespace

TEST(Elementwise, BinaryOpsBroadcast) {
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&, const Tensor&)>>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / (b.abs() + 0.5); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return a.maximum(b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return a.minimum(b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return a.lt(b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return a.ge(b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return a.eq(b.maximum(a)); }},
      {"where", [](const Tensor& a, const Tensor& b) { return a.gt(b).where(a, b * 2.0); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return (a.abs() + 0.1).pow(b); }},
  };
  uint64_t seed = 1;
  for (const auto& [name, op] : ops)
    for (const auto& [sa, sb] : kBroadcastPairs) {
      SCOPED_TRACE(std::string(name) + " " + shape_str(sa) + " " + shape_str(sb));
      expect_matches_reference(op(random_tensor(sa, seed), random_tensor(sb, seed + 100)));
      ++seed;
    }
}

TEST(Elementwise, UnaryOps) {
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"neg", [](const Tensor& x) { return -x; }},
      {"exp", [](const Tensor& x) { return x.exp(); }},
      {"log", [](const Tensor& x) { return (x.abs() + 0.01).log(); }},
      {"exp2", [](const Tensor& x) { return x.exp2(); }},
      {"log2", [](const Tensor& x) { return (x.abs() + 0.01).log2(); }},
      {"sqrt", [](const Tensor& x) { return x.abs().sqrt(); }},
      {"rsqrt", [](const Tensor& x) { return (x.abs() + 0.1).rsqrt(); }},
      {"sin", [](const Tensor& x) { return x.sin(); }},
      {"cos", [](const Tensor& x) { return x.cos(); }},
      {"tanh", [](const Tensor& x) { return x.tanh(); }},
      {"sigmoid", [](const Tensor& x) { return x.sigmoid(); }},
      {"relu", [](const Tensor& x) { return x.relu(); }},
      {"gelu", [](const Tensor& x) { return x.gelu(); }},
      {"abs", [](const Tensor& x) { return x.abs(); }},
      {"square", [](const Tensor& x) { return x.pow(2.0); }},
      {"scalar ops", [](const Tensor& x) { return 3.0 - x * 2.0 + 1.0 / (x.abs() + 1.0); }},
  };
  uint64_t seed = 7;
  for (const auto& [name, op] : ops)
    for (const Shape& s : std::vector<Shape>{{5}, {2, 3, 4}, {1, 1}, {}, {0}}) {
      SCOPED_TRACE(std::string(name) + " " + shape_str(s));
      expect_matches_reference(op(random_tensor(s, seed++)));
    }
}

// Issue 22, cause 3: min, minimum and abs of integers went through negation, which wraps unsigned
// values and overflows the smallest signed one (uint8 minimum([0,5,255],[5,0,0]) was [5,5,255], uint8
// abs(3) was 253, int32 min of {INT_MIN, 0, 5} was 0, min of bools threw). The oracle is std::min /
// std::abs on the host.
TEST(EdgeCases, IntegerMinAndAbsDoNotGoThroughNegation) {
  const std::vector<uint8_t> a = {0, 5, 255, 128, 7}, b = {5, 0, 0, 127, 7};
  const Tensor ta = Tensor::from_vector(a, {5}), tb = Tensor::from_vector(b, {5});
  std::vector<int> want_min, want_a;
  for (size_t i = 0; i < a.size(); ++i) want_min.push_back(std::min(a[i], b[i])), want_a.push_back(a[i]);
  EXPECT_EQ(ta.minimum(tb).to_vector<int>(), want_min);
  EXPECT_EQ(ta.minimum(tb).dtype(), dtypes::uint8);
  EXPECT_EQ(ta.abs().to_vector<int>(), want_a);
  EXPECT_EQ(ta.min().item<int>(), *std::min_element(a.begin(), a.end()));
  const std::vector<int32_t> s = {INT32_MIN, 0, 5, INT32_MAX, -7};
  const Tensor ts = Tensor::from_vector(s, {5});
  EXPECT_EQ(ts.min().item<int64_t>(), int64_t(INT32_MIN));
  EXPECT_EQ(ts.max().item<int64_t>(), int64_t(INT32_MAX));
  EXPECT_EQ(ts.minimum(ts.flip({0})).to_vector<int64_t>(),
            (std::vector<int64_t>{std::min(s[0], s[4]), std::min(s[1], s[3]), s[2], std::min(s[3], s[1]), std::min(s[4], s[0])}));
  EXPECT_EQ(Tensor::from_vector(std::vector<bool>{true, false, true}, {3}).min().item<int>(), 0);
  EXPECT_EQ(Tensor::from_vector(std::vector<bool>{true, true}, {2}).min().item<int>(), 1);
  EXPECT_EQ(Tensor::from_vector(std::vector<bool>{true, false}, {2}).minimum(Tensor::from_vector(std::vector<bool>{true, true}, {2})).to_vector<int>(),
            (std::vector<int>{1, 0}));
}

// Issue 22, cause 11 (in part): the mean over no elements is NaN, as in PyTorch (it was 0).
TEST(EdgeCases, MeanOfNoElementsIsNaN) {
  for (float v : Tensor::zeros({0, 3}).mean({0}).to_vector<float>()) EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(Tensor::zeros({0, 3}).mean({0}).numel(), 3);
  EXPECT_TRUE(std::isnan(Tensor::zeros({4, 0}).mean().item<float>()));
  EXPECT_EQ(Tensor::zeros({2, 0}).mean({0}).numel(), 0);  // no output elements, nothing to be NaN
  EXPECT_EQ(Tensor::ones({2, 3}).mean({1}).to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Elementwise, IntegerAndBoolDtypes) {
  Tensor a = random_ints({4, 5}, 3), b = random_ints({5}, 4);
  Tensor s = a + b * 3;
  EXPECT_EQ(s.dtype(), dtypes::int32);
  expect_matches_reference(s);
  Tensor c = a.lt(b);
  EXPECT_EQ(c.dtype(), dtypes::bool_);
  expect_matches_reference(c);
  expect_matches_reference(c.sum({1}));  // bools sum in int32
  expect_matches_reference(a.cast(dtypes::float32) * 0.5);
  expect_matches_reference(random_tensor({6}, 5).cast(dtypes::int32));
  EXPECT_EQ((a + 1.5).dtype(), dtypes::float32);  // a fractional scalar promotes ints to float
}

TEST(Movement, ChainsOfViews) {
  Tensor x = random_tensor({2, 3, 4}, 11);
  expect_matches_reference(x.permute({2, 0, 1}) * 1.0);
  expect_matches_reference(x.flip({0, 2}).pad({{1, 0}, {0, 2}, {1, 1}}).shrink({{0, 3}, {1, 5}, {0, 6}}) + 1.0);
  expect_matches_reference(x.reshape({6, 4}).transpose().reshape({2, 2, 6}).flip({1}));
  expect_matches_reference(x.reshape({4, -1}).expand({3, 4, 6}) * x.reshape({1, 4, 6}));
  expect_matches_reference(x.pad({{0, 0}, {2, 2}, {0, 0}}, -3.5));
  expect_matches_reference(x.pad({{-1, 0}, {0, -1}, {1, -2}}));  // negative padding shrinks
  expect_matches_reference(x.slice(2, 1, 4, 2) + x.slice(2, 0, 3, 2));
  expect_matches_reference(x.slice(1, -2, 10));
  expect_matches_reference(x.flatten().unsqueeze(0).squeeze(0));
  expect_matches_reference(x.flatten(1));
  expect_matches_reference(Tensor::cat({x, x * 2.0, x.flip({1})}, 1));
  expect_matches_reference(Tensor::stack({x, -x}, 2));
  expect_matches_reference(x.permute({1, 2, 0}).pad({{0, 1}, {0, 0}, {1, 0}}).permute({2, 1, 0}).reshape({-1}));
  expect_matches_reference(x.shrink({{0, 2}, {0, 0}, {0, 4}}) * 2.0);  // empty
}

TEST(Reductions, SumMaxMinMeanOverAxes) {
  Tensor x = random_tensor({3, 4, 5}, 21);
  for (bool keep : {false, true}) {
    expect_matches_reference(x.sum({}, keep));
    expect_matches_reference(x.sum({1}, keep));
    expect_matches_reference(x.sum({0, 2}, keep));
    expect_matches_reference(x.max({2}, keep));
    expect_matches_reference(x.min({0}, keep));
    expect_matches_reference(x.mean({-1}, keep));
  }
  expect_matches_reference(random_tensor({4, 1}, 3).sum({1}));
  expect_matches_reference(random_tensor({0, 3}, 3).sum({0}));  // empty reduction is 0
  expect_matches_reference((x.permute({2, 0, 1}).flip({1}) * 2.0).sum({1}));
  expect_matches_reference(x - x.sum({1}, true));
  expect_matches_reference(x.pad({{0, 0}, {1, 1}, {0, 0}}).sum({1}) + x.max({1}));
}

TEST(Reductions, SoftmaxAndLogSoftmax) {
  Tensor x = random_tensor({4, 7}, 31, -5, 5);
  expect_matches_reference(x.softmax(-1));
  expect_matches_reference(x.softmax(0));
  expect_matches_reference(x.log_softmax(-1));
}

TEST(Matmul, ShapesAndBatching) {
  expect_matches_reference(random_tensor({5, 7}, 1).matmul(random_tensor({7, 3}, 2)), 1e-5, 1e-5);
  expect_matches_reference(random_tensor({2, 5, 7}, 3).matmul(random_tensor({7, 3}, 4)), 1e-5, 1e-5);
  expect_matches_reference(random_tensor({2, 1, 4, 6}, 5).matmul(random_tensor({3, 6, 2}, 6)), 1e-5, 1e-5);
  expect_matches_reference(random_tensor({7}, 7).matmul(random_tensor({7, 3}, 8)), 1e-5, 1e-5);
  expect_matches_reference(random_tensor({3, 7}, 9).matmul(random_tensor({7}, 10)), 1e-5, 1e-5);
  expect_matches_reference(random_tensor({1, 1}, 11).matmul(random_tensor({1, 4}, 12)));
  Tensor a = random_tensor({6, 4}, 13);
  expect_matches_reference(a.transpose().matmul(a), 1e-5, 1e-5);
}

TEST(Creation, ConstantsAndRanges) {
  expect_matches_reference(Tensor::full({2, 3}, 2.5));
  expect_matches_reference(Tensor::zeros({4}) + Tensor::ones({4}));
  expect_matches_reference(Tensor::eye(4));
  EXPECT_EQ(Tensor::arange(5).to_vector<int>(), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Tensor::arange(10, 0, -3).to_vector<int>(), (std::vector<int>{10, 7, 4, 1}));
  EXPECT_EQ(Tensor::eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  float raw[4] = {1, 2, 3, 4};
  EXPECT_EQ(Tensor::from_blob(raw, {2, 2}, dtypes::float32).sum().item<float>(), 10.0f);
  EXPECT_EQ(Tensor::of({1, 2, 3}, {3}).sum().item<float>(), 6.0f);
}

TEST(Realize, RealizedTensorsAreReusedAsBuffers) {
  Tensor x = random_tensor({8}, 3);
  Tensor y = x * 2.0;
  y.realize();
  EXPECT_EQ(y.shape(), Shape{8});
  Tensor z = y + 1.0;  // reads y's buffer
  const std::vector<double> yv = y.to_vector<double>(), zv = z.to_vector<double>();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_FLOAT_EQ(float(zv[i]), float(yv[i] + 1.0));
  Tensor a = x + 1.0, b = x * 3.0;
  realize({&a, &b});
  EXPECT_EQ(a.to_vector<float>()[0], x.to_vector<float>()[0] + 1.0f);
}
