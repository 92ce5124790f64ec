// Memory accesses the linearizer may merge (internal to src/codegen).
#pragma once
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// Whether a LOAD or STORE is unconditional: no gate (source 2), or one folded to true.
bool ungated(const UOp& access);

// Runs of 4 neighbouring elements that start at a multiple of 4 among `accesses` (buffer, index):
// indices rest + 4q, + 1, + 2, + 3 with `rest` provably a multiple of 4. Positions into `accesses`, in
// order of first appearance.
std::vector<std::array<size_t, 4>> aligned_quads(const std::vector<std::pair<UOp, UOp>>& accesses);

}  // namespace anneal
