// float16 and bfloat16: stored as bit patterns, computed in float32, rounded when stored or cast.
// The conversions must round exactly like the host's (round to nearest even, subnormals, overflow to
// infinity, NaN); arithmetic agrees with the reference evaluator to the formats' precision.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "anneal/support/float_convert.h"
#include "op_test_util.h"

namespace anneal {
namespace {

using testing::expect_matches_reference;
using testing::random_tensor;

double round_to(DType d, double x) { return d == dtypes::float16 ? round_to_float16(x) : round_to_bfloat16(x); }

TEST(Half, CastsRoundExactlyLikeTheHost) {
  std::mt19937 rng(7);
  std::vector<float> v = {65504.f, 65519.f, 65520.f, -65520.f, 1e-8f, 2.98023224e-8f, 2.9802326e-8f, -0.f, 1.f / 3,
                          3.3895314e38f, INFINITY, -INFINITY, 1.17549435e-38f};
  while (v.size() < 50000) {
    const uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    if (!std::isnan(f)) v.push_back(f);
  }
  const Tensor t = Tensor::from_vector(v, {int64_t(v.size())});
  for (DType d : {dtypes::float16, dtypes::bfloat16}) {
    const std::vector<double> stored = t.cast(d).to_vector<double>();             // a kernel stores d
    const std::vector<float> computed = t.cast(d).cast(dtypes::float32).to_vector<float>();  // ...or casts in registers
    for (size_t i = 0; i < v.size(); ++i) {
      ASSERT_EQ(stored[i], round_to(d, v[i])) << d.name() << " of " << v[i];
      ASSERT_EQ(double(computed[i]), round_to(d, v[i])) << d.name() << " of " << v[i];
    }
  }
}

TEST(Half, HostValuesRoundTrip) {
  const std::vector<float> v = {0.1f, -2.5f, 1000.f, 1e-6f};
  for (DType d : {dtypes::float16, dtypes::bfloat16}) {
    const Tensor t = Tensor::from_vector(v, {4}).cast(d).realize();
    EXPECT_EQ(t.dtype(), d);
    const std::vector<double> back = t.to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(back[i], round_to(d, v[i]));
  }
}

TEST(Half, ArithmeticAgreesWithTheReference) {
  for (DType d : {dtypes::float16, dtypes::bfloat16}) {
    const double tol = d == dtypes::float16 ? 4e-3 : 3e-2;
    Tensor a = random_tensor({16, 24}, 1).cast(d).realize(), b = random_tensor({24, 8}, 2).cast(d).realize();
    Tensor c = random_tensor({8}, 3).cast(d).realize();
    expect_matches_reference((a * 0.5 + a.exp()).sqrt(), tol, tol);
    expect_matches_reference(a.sum({1}), tol, tol);
    expect_matches_reference((a.matmul(b) + c).relu(), tol, tol * 10);
    expect_matches_reference(a.matmul(b).softmax(1), tol, tol);
    expect_matches_reference(a.max({0}), 0, 0);  // max only selects: exact
  }
}

}  // namespace
}  // namespace anneal
