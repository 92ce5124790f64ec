#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {
// anneal sample nanogpt --checkpoint FILE "PROMPT" [--tokens N] [--temperature T] [--top-k K] [--seed S]
void register_sample(CLI::App& app);
}  // namespace anneal::cli
