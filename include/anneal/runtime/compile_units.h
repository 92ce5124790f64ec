// Translation units a program compiles in. A long program (a training step: 88 kernels, 770 KB of C)
// would keep one compiler busy for seconds while the other cores wait; split into units of whole
// kernels, each with the prelude, it compiles on every core at once, and each unit is cached on its
// own (a program that changed in one kernel recompiles one unit).
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "anneal/render/program.h"

namespace anneal {

// At most `max_units` units of consecutive kernels (the program's order), of similar source size, with
// at least `min_bytes` of kernel source each where the program has that much (a compiler run has a
// fixed cost: small programs stay one unit).
std::vector<ProgramSource> split_program(const ProgramSource& program, size_t max_units, size_t min_bytes);

// Runs work(i) for every i < n on up to `threads` threads; the first error is rethrown once all ran.
void run_parallel(size_t n, size_t threads, const std::function<void(size_t)>& work);

}  // namespace anneal
