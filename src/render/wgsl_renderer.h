#pragma once
#include <string>

namespace anneal {
// Helpers every WGSL module starts with.
const std::string& wgsl_prelude();
}  // namespace anneal
