// Helpers for op tests: random inputs and comparison with the reference evaluator.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "anneal/tensor/tensor.h"
#include "../reference/reference_eval.h"

namespace anneal::testing {

inline Tensor random_tensor(const Shape& shape, uint64_t seed, double lo = -2.0, double hi = 2.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist{float(lo), float(hi)};
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (float& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

inline Tensor random_ints(const Shape& shape, uint64_t seed, int lo = -5, int hi = 5) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> dist(lo, hi);
  std::vector<int32_t> v(static_cast<size_t>(numel(shape)));
  for (int32_t& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

// Realizes `t` through the compiler and compares with the reference evaluator of the same graph.
inline void expect_matches_reference(Tensor t, double rtol = 1e-5, double atol = 1e-6) {
  const UOp graph = t.uop();
  const reference::HostTensor want = reference::evaluate(graph);
  const std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(t.shape(), want.shape);
  ASSERT_EQ(got.size(), want.data.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want.data[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
      continue;
    }
    EXPECT_NEAR(got[i], want.data[i], atol + rtol * std::fabs(want.data[i])) << "element " << i << " of "
                                                                             << shape_str(want.shape);
  }
}

}  // namespace anneal::testing
