#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {
// anneal bench WORKLOAD [--device D] [--n N] [--reps R] [--json]
void register_bench(CLI::App& app);
}  // namespace anneal::cli
