#include "anneal/support/float_convert.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "anneal/support/bits.h"

namespace anneal {
namespace {

// Round x to a binary float format with `mant` explicit mantissa bits and minimum normal exponent
// `emin`, by scaling to an integer grid and using the current (nearest-even) rounding mode.
double round_to_format(double x, int mant, int emin, double max_finite, bool has_inf) {
  if (std::isnan(x) || x == 0.0 || std::isinf(x)) {
    if (std::isinf(x) && !has_inf) return std::numeric_limits<double>::quiet_NaN();
    return x;
  }
  int e;
  std::frexp(std::fabs(x), &e);  // |x| = f * 2^e, f in [0.5, 1)
  int exp = std::max(e - 1, emin);  // subnormals share the minimum exponent's grid
  double quantum = std::ldexp(1.0, exp - mant);
  double r = std::nearbyint(x / quantum) * quantum;
  if (std::fabs(r) > max_finite) {
    if (!has_inf) return std::numeric_limits<double>::quiet_NaN();
    return r > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  return r;
}

}  // namespace

double round_to_float32(double x) { return double(float(x)); }
double round_to_float16(double x) { return round_to_format(x, 10, -14, 65504.0, true); }
double round_to_bfloat16(double x) { return double(bf16_bits_to_float(float_to_bf16_bits(float(x)))); }
double round_to_fp8e4m3(double x) { return round_to_format(x, 3, -6, 448.0, false); }
double round_to_fp8e5m2(double x) { return round_to_format(x, 2, -14, 57344.0, true); }

uint16_t float_to_half_bits(float x) {
  double r = round_to_float16(double(x));
  uint32_t sign = std::signbit(r) ? 0x8000u : 0u;
  if (std::isnan(r)) return uint16_t(sign | 0x7E00u);
  if (std::isinf(r)) return uint16_t(sign | 0x7C00u);
  double a = std::fabs(r);
  if (a == 0.0) return uint16_t(sign);
  int e;
  double f = std::frexp(a, &e);  // a = f*2^e
  int exp = e - 1;
  if (exp < -14) return uint16_t(sign | uint32_t(std::ldexp(a, 24)));  // subnormal: a / 2^-24
  uint32_t mant = uint32_t((f * 2.0 - 1.0) * 1024.0);
  return uint16_t(sign | uint32_t(exp + 15) << 10 | mant);
}

float half_bits_to_float(uint16_t h) {
  uint32_t sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v;
  if (exp == 0) v = std::ldexp(double(mant), -24);
  else if (exp == 31) v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(double(mant | 0x400), int(exp) - 25);
  return float(sign ? -v : v);
}

uint16_t float_to_bf16_bits(float x) {
  uint32_t u = bit_cast<uint32_t>(x);
  if (std::isnan(x)) return uint16_t((u >> 16) | 0x40);  // keep NaN quiet
  u += 0x7FFF + ((u >> 16) & 1);                         // round to nearest even
  return uint16_t(u >> 16);
}

float bf16_bits_to_float(uint16_t b) { return bit_cast<float>(uint32_t(b) << 16); }

}  // namespace anneal
