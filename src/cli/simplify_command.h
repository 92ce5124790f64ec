// `anneal simplify EXPR [--var NAME=LO..HI]... [--graph]`: simplifies an integer expression over
// bounded variables with the full symbolic rule set and prints the result and its bounds.
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

// Adds the `simplify` subcommand to `app`. A malformed expression or --var exits with status 2
// (after a caret diagnostic on stderr); other anneal::Errors propagate to main.
void register_simplify(CLI::App& app);

}  // namespace anneal::cli
