// rand / randn / randint: a draw takes the next key from the global (seed, draw counter) and
// evaluates Threefry on each element's index. The values are made on the host and uploaded: the
// generator is counter-based, so this gives the same numbers any device would.
#include "anneal/tensor/random.h"

#include <atomic>
#include <cmath>
#include <mutex>

#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {
namespace {

std::mutex seed_mu;
uint64_t global_seed = 0;
uint64_t draw_counter = 0;

uint64_t next_key() {
  std::lock_guard<std::mutex> lock(seed_mu);
  return threefry2x32(global_seed, draw_counter++);
}

uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

// Uniform in [0, 1) with 24 random bits (exactly representable in float32).
float unit_float(uint64_t bits) { return float(uint32_t(bits) >> 8) * (1.0f / 16777216.0f); }

}  // namespace

void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(seed_mu);
  global_seed = seed;
  draw_counter = 0;
}

uint64_t threefry2x32(uint64_t key, uint64_t counter) {
  static constexpr int kRot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  const uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32), k2 = k0 ^ k1 ^ 0x1BD11BDAu;
  const uint32_t ks[3] = {k0, k1, k2};
  uint32_t x0 = uint32_t(counter) + k0, x1 = uint32_t(counter >> 32) + k1;
  for (int round = 0; round < 20; ++round) {
    x0 += x1;
    x1 = rotl(x1, kRot[round % 8]) ^ x0;
    if (round % 4 == 3) {  // key injection every four rounds
      const int s = round / 4 + 1;
      x0 += ks[s % 3];
      x1 += ks[(s + 1) % 3] + uint32_t(s);
    }
  }
  return (uint64_t(x1) << 32) | x0;
}

std::vector<float> rand_values(size_t n) {
  const uint64_t key = next_key();
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = unit_float(threefry2x32(key, i));
  return v;
}

std::vector<float> randn_values(size_t n) {
  // Box-Muller on two uniforms from the two halves of each Threefry output.
  const uint64_t key = next_key();
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t bits = threefry2x32(key, i);
    const double u1 = 1.0 - double(unit_float(bits)), u2 = double(unit_float(bits >> 32));
    v[i] = float(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2));
  }
  return v;
}

Tensor Tensor::rand(Shape shape, DType dtype) {
  check_shape(shape, "rand");
  const std::vector<float> v = rand_values(size_t(anneal::numel(shape)));
  return host_values(v, std::move(shape), dtype);
}

Tensor Tensor::randn(Shape shape, DType dtype) {
  check_shape(shape, "randn");
  const std::vector<float> v = randn_values(size_t(anneal::numel(shape)));
  return host_values(v, std::move(shape), dtype);
}

Tensor Tensor::randint(Shape shape, int64_t low, int64_t high, DType dtype) {
  check(low < high, "randint: empty range [" + std::to_string(low) + ", " + std::to_string(high) + ")");
  check_shape(shape, "randint");
  const uint64_t key = next_key(), span = uint64_t(high - low);
  std::vector<int64_t> v(static_cast<size_t>(anneal::numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = low + int64_t(threefry2x32(key, i) % span);
  return host_values(v, std::move(shape), dtype);
}

}  // namespace anneal
