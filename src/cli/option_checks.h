// Validators for numeric options that say, in words, what was expected and what was given:
// "--steps: expected a whole number from 1 to 2147483647, got '0'" rather than CLI11's
// "Value 0 not in range 0.000000 to 1797693134862315708..." or "Could not convert".
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>

namespace anneal::cli {

// A whole number (optional sign, digits only) in [lo, hi].
CLI::Validator whole_number(int64_t lo, int64_t hi = std::numeric_limits<int32_t>::max());
// A finite real number greater than zero (or at least zero).
CLI::Validator positive_real();
CLI::Validator non_negative_real();

}  // namespace anneal::cli
