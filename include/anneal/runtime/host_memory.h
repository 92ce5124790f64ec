// Conversions between host values and device element encodings (CPU memory is host memory).
#pragma once
#include <cstddef>
#include <vector>

#include "anneal/uop/dtype.h"

namespace anneal {

// The element types buffers can hold; others raise anneal::Error. float16 and bfloat16 are stored as
// their 16-bit patterns (kernels compute with them in float32, rounding when they store or cast).
bool cpu_supports(DType d);

template <class T>
void write_elements(void* dst, DType dtype, const T* src, size_t n);
std::vector<double> read_elements(const void* src, DType dtype, size_t n);

}  // namespace anneal
