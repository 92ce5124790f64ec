// C renderer: one kernel AST -> one C function `void NAME(void** bufs)`.
#pragma once
#include <string>

#include "anneal/schedule/schedule.h"

namespace anneal {

// Includes and helpers every rendered translation unit starts with.
const std::string& c_prelude();
std::string render_c(const ScheduledKernel& kernel);

}  // namespace anneal
