// `anneal doctor`: one line per device — what was found and whether it works. Exits 0 when the default
// device (CPU) compiled and ran a test kernel.
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

void register_doctor(CLI::App& app);

}  // namespace anneal::cli
