// `anneal explain OP [--json]` and `anneal explain --list`: what the compiler does with one op (its
// IR form, gradient rule, symbolic and lowering rules, and a worked example down to C source), as
// viz/explain.h generates it from the real rule sets. The text is a view of the same JSON.
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

void register_explain(CLI::App& app);

}  // namespace anneal::cli
