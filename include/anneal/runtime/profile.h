// Kernel profiling: with ANNEAL_PROFILE=1 every launch waits for its kernel and records its time on
// the device's clock; at exit a table of the kernels that took longest goes to stderr.
#pragma once
#include <string>

namespace anneal {

bool profiling();
void record_kernel_time(const std::string& device, const std::string& kernel, double ms);

}  // namespace anneal
