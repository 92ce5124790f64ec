// Overflow-checked integer arithmetic for sizes computed from input: shape products, byte counts,
// batch x sample sizes. Each returns std::nullopt instead of wrapping (unsigned) or invoking
// undefined behaviour (signed), so that the caller can raise an anneal::Error naming the input.
#pragma once
#include <concepts>
#include <optional>
#include <span>

namespace anneal {

template <std::integral T>
constexpr std::optional<T> checked_mul(T a, T b) {
  T product{};
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

template <std::integral T>
constexpr std::optional<T> checked_add(T a, T b) {
  T sum{};
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// The product of all factors (1 for none), or std::nullopt when any partial product overflows.
// A zero factor does not hide an overflow among the others: (0, 2^62, 2^62) overflows, since the
// row-major strides of such a shape would.
template <std::integral T>
constexpr std::optional<T> checked_product(std::span<const T> factors) {
  T product = 1;
  bool has_zero = false;
  for (T f : factors) {
    if (f == 0) {
      has_zero = true;
      continue;
    }
    const std::optional<T> next = checked_mul(product, f);
    if (!next) return std::nullopt;
    product = *next;
  }
  return has_zero ? T{0} : product;
}

}  // namespace anneal
