#pragma once
#include <string>

namespace anneal {
// Helpers every CUDA translation unit starts with.
const std::string& cuda_prelude();
}  // namespace anneal
