// The float dtype of tests that check exact formulas or finite differences, per device under test:
// float64 where the device has it; WebGPU has only float32, and there the same checks run in float32
// with tolerances widened to its precision (the float64 oracle stays on the host or the CPU).
#pragma once
#include <algorithm>
#include <vector>

#include "anneal/codegen/target.h"
#include "anneal/runtime/device.h"
#include "anneal/tensor/tensor.h"

namespace anneal::testing {

inline DType device_float() {
  return supports_dtype(get_device(default_device()).target(), dtypes::float64) ? dtypes::float64 : dtypes::float32;
}

// `values` as a tensor of device_float() on the default device.
inline Tensor float_tensor(const std::vector<double>& values, Shape shape) {
  if (device_float() == dtypes::float64) return Tensor::from_vector(values, std::move(shape));
  return Tensor::from_vector(std::vector<float>(values.begin(), values.end()), std::move(shape));
}

// An absolute tolerance meant for float64, at least float32's where values are float32 (for values
// of order 1 after a few operations).
inline double float_tol(double float64_tol) { return device_float() == dtypes::float64 ? float64_tol : std::max(float64_tol, 1e-5); }

// Makes the CPU the default device while it lives (a float64 oracle on a device without float64).
class OnTheCpu {
 public:
  OnTheCpu() : saved_(default_device()) { set_default_device("CPU"); }
  ~OnTheCpu() { set_default_device(saved_); }
  OnTheCpu(const OnTheCpu&) = delete;
  OnTheCpu& operator=(const OnTheCpu&) = delete;

 private:
  std::string saved_;
};

}  // namespace anneal::testing
