#include "anneal/runtime/host_memory.h"

#include <cstdint>

#include "anneal/support/error.h"
#include "anneal/support/float_convert.h"

namespace anneal {
namespace {

// Calls f with a typed null pointer of the C type that stores `d`.
template <class F>
void with_c_type(DType d, F&& f) {
  switch (d.scalar()) {
    case ScalarType::Bool: f(static_cast<bool*>(nullptr)); return;
    case ScalarType::Int8: f(static_cast<int8_t*>(nullptr)); return;
    case ScalarType::Int16: f(static_cast<int16_t*>(nullptr)); return;
    case ScalarType::Int32: f(static_cast<int32_t*>(nullptr)); return;
    case ScalarType::Int64: f(static_cast<int64_t*>(nullptr)); return;
    case ScalarType::UInt8: f(static_cast<uint8_t*>(nullptr)); return;
    case ScalarType::UInt16: f(static_cast<uint16_t*>(nullptr)); return;
    case ScalarType::UInt32: f(static_cast<uint32_t*>(nullptr)); return;
    case ScalarType::UInt64: f(static_cast<uint64_t*>(nullptr)); return;
    case ScalarType::Float32: f(static_cast<float*>(nullptr)); return;
    case ScalarType::Float64: f(static_cast<double*>(nullptr)); return;
    default: throw Error("dtype " + std::string(d.name()) + " is not supported on the CPU device yet");
  }
}

bool is_16bit_float(DType d) { return d == dtypes::float16 || d == dtypes::bfloat16; }

}  // namespace

bool cpu_supports(DType d) {
  if (is_16bit_float(d)) return true;
  try {
    with_c_type(d, [](auto*) {});
    return true;
  } catch (const Error&) {
    return false;
  }
}

template <class T>
void write_elements(void* dst, DType dtype, const T* src, size_t n) {
  if (is_16bit_float(dtype)) {  // stored as their bit patterns, rounded to nearest even
    auto* out = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; ++i)
      out[i] = dtype == dtypes::float16 ? float_to_half_bits(float(src[i])) : float_to_bf16_bits(float(src[i]));
    return;
  }
  with_c_type(dtype, [&](auto* tag) {
    using C = std::remove_pointer_t<decltype(tag)>;
    C* out = static_cast<C*>(dst);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<C>(src[i]);
  });
}

std::vector<double> read_elements(const void* src, DType dtype, size_t n) {
  std::vector<double> out(n);
  if (is_16bit_float(dtype)) {
    const auto* in = static_cast<const uint16_t*>(src);
    for (size_t i = 0; i < n; ++i)
      out[i] = dtype == dtypes::float16 ? half_bits_to_float(in[i]) : bf16_bits_to_float(in[i]);
    return out;
  }
  with_c_type(dtype, [&](auto* tag) {
    using C = std::remove_pointer_t<decltype(tag)>;
    const C* in = static_cast<const C*>(src);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(in[i]);
  });
  return out;
}

template void write_elements<float>(void*, DType, const float*, size_t);
template void write_elements<double>(void*, DType, const double*, size_t);
template void write_elements<int32_t>(void*, DType, const int32_t*, size_t);
template void write_elements<int64_t>(void*, DType, const int64_t*, size_t);
template void write_elements<uint8_t>(void*, DType, const uint8_t*, size_t);
template void write_elements<bool>(void*, DType, const bool*, size_t);

}  // namespace anneal
