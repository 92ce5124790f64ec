// Checks every GPU device must pass against the CPU, shared by the CUDA and WebGPU suites.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "anneal/runtime/device.h"
#include "anneal/tensor/tensor.h"

namespace anneal::testing {

inline std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j], want[j], 1e-5 + 1e-5 * std::fabs(want[j])) << what << " " << j;
}

// A freed block comes back for the next allocation of its rounded size, zeroed.
inline void expect_fresh_buffers_zero_and_reused(const std::string& device) {
  Device& gpu = get_device(device);
  void* first = nullptr;
  {
    std::shared_ptr<void> a = gpu.allocate(4096);
    first = a.get();
    std::vector<uint8_t> ones(4096, 0xff);
    gpu.copy_from_host(a.get(), ones.data(), ones.size());
  }
  std::shared_ptr<void> b = gpu.allocate(4000);  // same rounded size: the cached block comes back...
  EXPECT_EQ(b.get(), first);
  std::vector<uint8_t> back(4000, 1);
  gpu.copy_to_host(back.data(), b.get(), back.size());
  EXPECT_EQ(back, std::vector<uint8_t>(4000, 0));  // ...zeroed
}

// A matmul with bias and ReLU, then softmax, max, sum and a chain of views, against the CPU.
inline void expect_kernels_agree_with_the_cpu(const std::string& device) {
  const std::vector<float> xa = random_floats(64 * 48, 2), xb = random_floats(48 * 32, 3), xc = random_floats(32, 4);
  auto program = [&](const std::string& dev) {
    Tensor a = Tensor::from_vector(xa, {64, 48}, dev), b = Tensor::from_vector(xb, {48, 32}, dev);
    Tensor c = Tensor::from_vector(xc, {32}, dev);
    Tensor h = (a.matmul(b) + c).relu();
    return std::vector<Tensor>{h.softmax(1), h.max({0}), h.sum(), h.permute({1, 0}).flip({0}).pad({{1, 2}, {0, 3}})};
  };
  const std::vector<Tensor> cpu = program("CPU"), gpu = program(device);
  for (size_t i = 0; i < cpu.size(); ++i) {
    EXPECT_EQ(gpu[i].device(), device);
    expect_close(gpu[i].to_vector<float>(), cpu[i].to_vector<float>(), "output " + std::to_string(i));
  }
}

}  // namespace anneal::testing
