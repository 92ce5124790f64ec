// Conversions between host values and device element encodings (CPU memory is host memory).
#pragma once
#include <cstddef>
#include <vector>

#include "anneal/uop/dtype.h"

namespace anneal {

// The C-visible element types the CPU backend stores; others raise anneal::Error.
bool cpu_supports(DType d);

template <class T>
void write_elements(void* dst, DType dtype, const T* src, size_t n);
std::vector<double> read_elements(const void* src, DType dtype, size_t n);

}  // namespace anneal
