#pragma once
#include <string>

#include "anneal/render/program.h"

namespace anneal {
// Compiles CUDA C++ for a device of compute capability major.minor: a cubin for the device's own
// architecture when NVRTC knows it, else PTX for the newest one it does (the driver JITs it). Cached
// on disk; a compile error carries the NVRTC log, the kernels' names and the source.
std::string nvrtc_compile(const ProgramSource& program, int cc_major, int cc_minor);
}  // namespace anneal
