// The engine runs schedules. For each kernel it picks the opts (the heuristics for its device's
// target, or BEAM with ANNEAL_BEAM), renders and compiles a device's kernels as one program (cached on
// their ASTs, so a repeated step compiles nothing), gives the scheduler's buffers memory (the memory
// planner) and launches the kernels in order. Tensor::realize, the JIT and the CLI all come here.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "anneal/codegen/opt.h"
#include "anneal/runtime/device.h"
#include "anneal/schedule/schedule.h"

namespace anneal {

// create_schedule with the process's default device (runtime/device.h) for values that read no buffer.
Schedule create_schedule(std::span<const UOp> outputs);

// Gives every buffer the scheduler made its storage: outputs their own; an intermediate reuses the
// block of an intermediate whose last reader has already run (best fit by size). Fills the schedule's
// intermediate_bytes and planned_bytes. Buffers that already have storage are left as they are.
void plan_memory(Schedule& schedule);

// Plans memory where the schedule has none yet, compiles what is new and launches every kernel; the
// compiled kernels, in schedule order.
std::vector<std::shared_ptr<const Kernel>> run_schedule(Schedule& schedule);

// A kernel as the engine runs it, for reports: the kernel after its opts, the opts and their origin,
// and what the device compiles and launches (its source, grid and block; the program's prelude is
// `prelude`).
struct PreparedKernel {
  ScheduledKernel kernel;
  std::vector<Opt> opts;
  std::string origin;  // "heuristic", or "beam" (a BEAM winner found in the cache)
  KernelEntry entry;
  std::string prelude;
};
// What run_schedule compiles for each kernel. Under ANNEAL_BEAM a kernel whose winner is not cached
// yet shows the heuristic's choice (a search needs the kernel's inputs: run the schedule first).
std::vector<PreparedKernel> prepare_kernels(const Schedule& schedule);

// What run_schedule compiled in this process: programs (one per schedule and device not seen
// before), the kernels they held, and how many of those were compiled (kernels with the same AST
// share one compiled function).
struct CompileStats {
  size_t programs = 0, kernels = 0, compiled_kernels = 0;
};
CompileStats compile_stats();

// Kernels launched in this process (by run_schedule and by JIT replays, which report theirs).
size_t kernels_launched();
void note_kernels_launched(size_t n);

}  // namespace anneal
