#include "anneal/codegen/target.h"

namespace anneal {

Target cpu_target() { return Target{"CPU", Language::C, false, false}; }

Target cuda_target(int ordinal, bool warpgroup_mma) {
  return Target{ordinal == 0 ? "CUDA" : "CUDA:" + std::to_string(ordinal), Language::Cuda, true, warpgroup_mma};
}

}  // namespace anneal
