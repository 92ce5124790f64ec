#include "result_compare.h"

#include <cmath>
#include <cstring>

#include "anneal/support/float_convert.h"

namespace anneal {
namespace {

// The values of an output buffer of float type `d`, as doubles.
std::vector<double> float_values(const std::vector<uint8_t>& bytes, DType d) {
  std::vector<double> v(bytes.size() / size_t(d.itemsize()));
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t* p = bytes.data() + i * size_t(d.itemsize());
    auto read = [p](auto x) {
      std::memcpy(&x, p, sizeof x);
      return x;
    };
    if (d == dtypes::float64) v[i] = read(0.0);
    else if (d == dtypes::float32) v[i] = double(read(0.0f));
    else if (d == dtypes::float16) v[i] = double(half_bits_to_float(read(uint16_t(0))));
    else v[i] = double(bf16_bits_to_float(read(uint16_t(0))));
  }
  return v;
}

}  // namespace

bool same_result(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want, DType d, bool reordered) {
  if (got == want) return true;
  const bool floats = d == dtypes::float64 || d == dtypes::float32 || d == dtypes::float16 || d == dtypes::bfloat16;
  if (!reordered || !floats || got.size() != want.size()) return false;
  const std::vector<double> g = float_values(got, d), w = float_values(want, d);
  double largest = 0;
  for (double x : w)
    if (std::isfinite(x)) largest = std::max(largest, std::fabs(x));
  const double rel = d.itemsize() == 2 ? 1e-2 : 1e-3;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i]) || std::isinf(w[i])) {
      if (!(std::isnan(w[i]) ? std::isnan(g[i]) : g[i] == w[i])) return false;
      continue;
    }
    if (!(std::fabs(g[i] - w[i]) <= rel * std::fabs(w[i]) + 1e-4 * largest)) return false;
  }
  return true;
}

}  // namespace anneal
