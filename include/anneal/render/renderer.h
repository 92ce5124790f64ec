// Renderers: kernel ASTs -> source code in a target's language. The C and CUDA renderers share one
// C-style emitter (src/render/c_style.h) and differ only in types, math functions and how the output
// loops are walked: C loops over them (split across cores), CUDA gives each output element a thread.
#pragma once
#include <span>
#include <string>

#include "anneal/codegen/target.h"
#include "anneal/render/program.h"
#include "anneal/schedule/schedule.h"

namespace anneal {

// One kernel as C: `void NAME(void** bufs, int core, int cores)`.
std::string render_c(const ScheduledKernel& kernel);
// One kernel as CUDA C++ (`extern "C" __global__`); `entry` receives its launch grid.
std::string render_cuda(const ScheduledKernel& kernel, KernelEntry* entry = nullptr);

// The whole translation unit for `target`, helpers included.
ProgramSource render_program(std::span<const ScheduledKernel> kernels, const Target& target);
// The source of one kernel as `target` would compile it (for reports).
std::string render_kernel(const ScheduledKernel& kernel, const Target& target);

}  // namespace anneal
