// Python-style floor division and modulo on 128-bit integers (C's / and % truncate instead).
#pragma once
#include "anneal/uop/dtype.h"

namespace anneal {

inline i128 floordiv(i128 a, i128 b) {
  const i128 q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline i128 floormod(i128 a, i128 b) { return a - floordiv(a, b) * b; }

}  // namespace anneal
