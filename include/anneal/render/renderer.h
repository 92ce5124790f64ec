// Renderers: kernel ASTs -> source code in a target's language. Every language shares one C-style
// emitter (src/render/c_style.h) and spells it with its own table (src/render/language.h); the output
// loops are walked by the CPU emitter (loops split across cores) or the GPU emitter (a thread per
// output element, CUDA and WGSL).
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
// One kernel as a WGSL compute entry point, its buffers module-scope bindings named after it (so the
// kernels of a program can share one module); `entry` receives its workgroup size and grid.
std::string render_wgsl(const ScheduledKernel& kernel, KernelEntry* entry = nullptr);

// The whole translation unit for `target`, helpers included.
ProgramSource render_program(std::span<const ScheduledKernel> kernels, const Target& target);
// The source of one kernel as `target` would compile it, without the prelude (bench/render_corpus).
std::string render_kernel(const ScheduledKernel& kernel, const Target& target);

}  // namespace anneal
