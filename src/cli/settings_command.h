// `anneal settings`: every ANNEAL_* setting with its current value, default, where the value comes
// from and what it does (the table in src/support/settings.cpp). `--json` prints the same as one object.
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

void register_settings(CLI::App& app);

}  // namespace anneal::cli
