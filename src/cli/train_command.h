// `anneal train mlp|conv [--steps N] [--batch N] [--lr X] [--seed N] [--device D] [--plain]`: trains a
// classifier on Fashion-MNIST with a live display on a terminal, or one line per log step otherwise.
#pragma once
#include <CLI/CLI.hpp>

namespace anneal::cli {

void register_train(CLI::App& app);

}  // namespace anneal::cli
