// Kernel profiling: with ANNEAL_PROFILE=1 every launch waits for its kernel and records its time on
// the device's clock; at exit a table of the kernels that took longest goes to stderr. With
// ANNEAL_DUMP_DIR=DIR every program source handed to a compiler is also written to DIR, so the kernels
// the table names can be read (one file per program, named after its first kernel).
#pragma once
#include <string>

#include "anneal/render/program.h"

namespace anneal {

bool profiling();
void record_kernel_time(const std::string& device, const std::string& kernel, double ms);
void dump_program(const ProgramSource& program);  // no-op without ANNEAL_DUMP_DIR

}  // namespace anneal
