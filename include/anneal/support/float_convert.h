// Rounding of doubles to the narrow float formats, for constant folding and reference evaluation.
#pragma once
#include <cstdint>

namespace anneal {

// Each returns the nearest representable value (round to nearest even), as a double.
double round_to_float32(double x);
double round_to_float16(double x);
double round_to_bfloat16(double x);
double round_to_fp8e4m3(double x);  // e4m3fn: no infinities, saturating overflow maps to NaN like the reference
double round_to_fp8e5m2(double x);

// Bit-level encodings of the 16-bit formats.
uint16_t float_to_half_bits(float x);
float half_bits_to_float(uint16_t h);
uint16_t float_to_bf16_bits(float x);
float bf16_bits_to_float(uint16_t b);

}  // namespace anneal
