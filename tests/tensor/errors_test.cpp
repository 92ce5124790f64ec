// Misuse raises anneal::Error whose message names the op and the shapes.
#include <gtest/gtest.h>

#include "anneal/tensor/tensor.h"
#include "../support/test_support.h"

using namespace anneal;
using anneal::testing::error_of;

TEST(TensorErrors, BroadcastMismatch) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  EXPECT_EQ(error_of([&] { (void)(a + b); }), "add: cannot broadcast shapes (2, 3) and (4,)");
  EXPECT_EQ(error_of([&] { (void)a.maximum(b); }), "maximum: cannot broadcast shapes (2, 3) and (4,)");
}

TEST(TensorErrors, InvalidAxis) {
  Tensor a = Tensor::zeros({2, 3});
  EXPECT_EQ(error_of([&] { (void)a.sum({2}); }), "sum: axis 2 is out of range for 2 dimensions");
  EXPECT_EQ(error_of([&] { (void)a.softmax(-3); }), "softmax: axis -3 is out of range for 2 dimensions");
  EXPECT_EQ(error_of([&] { (void)a.permute({0, 0}); }), "permute: repeated axis 0");
}

TEST(TensorErrors, ReshapeToAWrongSize) {
  Tensor a = Tensor::zeros({2, 3});
  EXPECT_EQ(error_of([&] { (void)a.reshape({4, 2}); }), "reshape: cannot reshape (2, 3) (6 elements) to (4, 2)");
  EXPECT_EQ(error_of([&] { (void)a.reshape({-1, 4}); }), "reshape: cannot infer -1 reshaping (2, 3) to (-1, 4)");
}

TEST(TensorErrors, IncompatibleMatmul) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  EXPECT_EQ(error_of([&] { (void)a.matmul(b); }), "matmul: cannot multiply (2, 3) by (4, 5) (inner dimensions 3 and 4 differ)");
}

TEST(TensorErrors, UnknownDevice) {
  EXPECT_EQ(error_of([&] { (void)Tensor::from_vector(std::vector<float>{1}, {1}, "TPU"); }),
            "unknown device 'TPU' (available: CPU, CUDA, CUDA:N, WEBGPU, auto)");
}

TEST(TensorErrors, BadCreationAndViews) {
  EXPECT_EQ(error_of([&] { (void)Tensor::from_vector(std::vector<float>{1, 2}, {3}); }),
            "from_vector: 2 values do not fill shape (3,)");
  EXPECT_EQ(error_of([&] { (void)Tensor::zeros({2}).expand({3}); }),
            "expand: cannot expand (2,) to (3,) (dimension 0 is 2, not 1)");
  EXPECT_EQ(error_of([&] { (void)Tensor::zeros({2}).shrink({{1, 3}}); }),
            "shrink: range [1, 3) is invalid for dimension 0 of (2,)");
  EXPECT_EQ(error_of([&] { (void)Tensor::zeros({2, 2}).item<float>(); }), "item: tensor of shape (2, 2) has 4 elements");
}
