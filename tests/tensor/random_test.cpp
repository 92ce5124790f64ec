// The RNG: published Threefry known-answer vectors, then statistics of rand/randn/randint.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "anneal/tensor/random.h"
#include "anneal/tensor/tensor.h"

using namespace anneal;

TEST(Threefry, KnownAnswerVectorsFromRandom123) {
  // (counter0, counter1, key0, key1) -> (out0, out1), Random123's kat_vectors for threefry2x32_20.
  auto run = [](uint32_t c0, uint32_t c1, uint32_t k0, uint32_t k1) {
    return threefry2x32((uint64_t(k1) << 32) | k0, (uint64_t(c1) << 32) | c0);
  };
  EXPECT_EQ(run(0, 0, 0, 0), (uint64_t(0x99ba4efe) << 32) | 0x6b200159);
  EXPECT_EQ(run(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), (uint64_t(0xbb002be7) << 32) | 0x1cb996fc);
  EXPECT_EQ(run(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (uint64_t(0x483df7a0) << 32) | 0xc4923a9c);
}

TEST(Random, SeededDrawsAreReproducibleAndDistinct) {
  manual_seed(42);
  const std::vector<float> a = Tensor::rand({1000}).to_vector<float>();
  const std::vector<float> b = Tensor::rand({1000}).to_vector<float>();
  manual_seed(42);
  EXPECT_EQ(Tensor::rand({1000}).to_vector<float>(), a);
  EXPECT_NE(a, b);
}

TEST(Random, Distributions) {
  manual_seed(7);
  const int n = 200000;
  const std::vector<double> u = Tensor::rand({n}).to_vector<double>();
  double mean = 0, lo = 1, hi = 0;
  for (double x : u) {
    mean += x / n;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  const std::vector<double> g = Tensor::randn({n}).to_vector<double>();
  double m = 0, m2 = 0;
  for (double x : g) {
    m += x / n;
    m2 += x * x / n;
  }
  EXPECT_NEAR(m, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(m2 - m * m), 1.0, 0.01);
  const std::vector<int> r = Tensor::randint({10000}, -3, 4).to_vector<int>();
  std::set<int> seen(r.begin(), r.end());
  EXPECT_EQ(seen, (std::set<int>{-3, -2, -1, 0, 1, 2, 3}));
  EXPECT_THROW(Tensor::randint({3}, 5, 5), Error);
}
