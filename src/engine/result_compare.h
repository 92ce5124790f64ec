// Whether a BEAM candidate computed the right values (internal to the engine).
#pragma once
#include <cstdint>
#include <vector>

#include "anneal/uop/dtype.h"

namespace anneal {

// A candidate's output is right when it is the unoptimized kernel's, byte for byte; a candidate that
// reorders sums (TC, GROUP) rounds differently, so for float outputs it may differ by 1e-3 of each
// value (1e-2 for 16-bit floats) plus 1e-4 of the largest magnitude (sums that cancel). NaNs must
// stay NaNs.
bool same_result(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want, DType d, bool reordered);

}  // namespace anneal
