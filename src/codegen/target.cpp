#include "anneal/codegen/target.h"

namespace anneal {

Target cpu_target() { return Target{"CPU", Language::C, false, false, 1}; }

Target cuda_target(int ordinal, bool warpgroup_mma) {
  return Target{ordinal == 0 ? "CUDA" : "CUDA:" + std::to_string(ordinal), Language::Cuda, true, warpgroup_mma, 1024, true, 4};
}

bool supports_dtype(const Target& t, DType d) { return t.language != Language::Wgsl || d.itemsize() < 8; }

Target webgpu_target() { return Target{"WEBGPU", Language::Wgsl, true, false, 256, false}; }

}  // namespace anneal
