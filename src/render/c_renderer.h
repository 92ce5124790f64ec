#pragma once
#include <string>

namespace anneal {
// Includes and helpers every C translation unit starts with.
const std::string& c_prelude();
}  // namespace anneal
