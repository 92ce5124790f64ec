#include "cli/option_checks.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace anneal::cli {
namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

CLI::Validator real_at_least(double lo, bool strict, const char* words) {
  return CLI::Validator(
      [lo, strict, words](std::string& in) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(in.c_str(), &end);
        const bool number = !in.empty() && end == in.c_str() + in.size() && errno == 0 && std::isfinite(v);
        if (number && (strict ? v > lo : v >= lo)) return "";
        return fmt::format("expected {}, got {}", words, in_quotes(in));
      },
      words);
}

}  // namespace

CLI::Validator whole_number(int64_t lo, int64_t hi) {
  const std::string words = hi == std::numeric_limits<int64_t>::max()
                                ? fmt::format("a whole number of at least {}", lo)
                                : fmt::format("a whole number from {} to {}", lo, hi);
  return CLI::Validator(
      [lo, hi, words](std::string& in) -> std::string {
        size_t digits_at = (!in.empty() && (in[0] == '-' || in[0] == '+')) ? 1 : 0;
        bool digits = in.size() > digits_at;
        for (size_t i = digits_at; i < in.size(); ++i) digits &= in[i] >= '0' && in[i] <= '9';
        if (digits) {
          errno = 0;
          const long long v = std::strtoll(in.c_str(), nullptr, 10);
          if (errno == 0 && v >= lo && v <= hi) return "";
        }
        return fmt::format("expected {}, got {}", words, in_quotes(in));
      },
      words);
}

CLI::Validator positive_real() { return real_at_least(0.0, true, "a number greater than 0"); }
CLI::Validator non_negative_real() { return real_at_least(0.0, false, "a number of at least 0"); }

}  // namespace anneal::cli
