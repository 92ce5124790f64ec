#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {
// anneal gpt2 sample "PROMPT" [--model M | --weights FILE] [--tokens N] [--temperature T] [--top-k K]
//                             [--top-p P] [--seed S] [--dtype D]
// anneal gpt2 logits "TEXT" [--json] [--top N] [--ids-file F] [--save F]
// anneal gpt2 tokenize "TEXT" [--json]
void register_gpt2(CLI::App& app);
}  // namespace anneal::cli
