#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {
// anneal viz [PROGRAM] [--train] [--port N] [--out DIR] [--wasm FILE]: the visualizer page, served on
// 127.0.0.1 or written as static files. The page runs the WASM compiler; nothing is computed here.
void register_viz(CLI::App& app);
}  // namespace anneal::cli
