// `anneal graph PROGRAM [--json]` and `anneal kernels PROGRAM [--json] [--run]`: the tensor graph of a
// built-in program, and the kernels the scheduler makes of it (with their generated C source).
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

void register_graph(CLI::App& app);
void register_kernels(CLI::App& app);

}  // namespace anneal::cli
