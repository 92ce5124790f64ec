// The CLI's own helpers: numeric option validators that say what they expected, and the status line
// cut to the terminal's width without breaking a UTF-8 character.
#include <gtest/gtest.h>

#include "cli/option_checks.h"
#include "cli/training_display.h"

using namespace anneal::cli;

namespace {
std::string verdict(const CLI::Validator& v, std::string in) { return v(in); }
}  // namespace

TEST(CliOptions, WholeNumbersAreCheckedInWords) {
  const CLI::Validator steps = whole_number(1);
  EXPECT_EQ(verdict(steps, "5"), "");
  EXPECT_EQ(verdict(steps, "2147483647"), "");
  EXPECT_EQ(verdict(steps, "0"), "expected a whole number from 1 to 2147483647, got '0'");
  EXPECT_EQ(verdict(steps, "1e3"), "expected a whole number from 1 to 2147483647, got '1e3'");
  EXPECT_EQ(verdict(steps, "2147483648"), "expected a whole number from 1 to 2147483647, got '2147483648'");
  EXPECT_EQ(verdict(steps, "99999999999999999999999"), "expected a whole number from 1 to 2147483647, got '99999999999999999999999'");
  EXPECT_EQ(verdict(steps, ""), "expected a whole number from 1 to 2147483647, got ''");
  EXPECT_EQ(verdict(steps, "-"), "expected a whole number from 1 to 2147483647, got '-'");
  EXPECT_EQ(verdict(whole_number(0, std::numeric_limits<int64_t>::max()), "-1"), "expected a whole number of at least 0, got '-1'");
}

TEST(CliOptions, RealsMustBeFiniteAndInRange) {
  EXPECT_EQ(verdict(positive_real(), "3e-4"), "");
  EXPECT_EQ(verdict(positive_real(), "0"), "expected a number greater than 0, got '0'");
  EXPECT_EQ(verdict(positive_real(), "nan"), "expected a number greater than 0, got 'nan'");
  EXPECT_EQ(verdict(positive_real(), "inf"), "expected a number greater than 0, got 'inf'");
  EXPECT_EQ(verdict(positive_real(), "0.1x"), "expected a number greater than 0, got '0.1x'");
  EXPECT_EQ(verdict(non_negative_real(), "0"), "");
  EXPECT_EQ(verdict(non_negative_real(), "-0.5"), "expected a number of at least 0, got '-0.5'");
}

TEST(CliOptions, StatusLinesFitTheTerminalWithoutSplittingCharacters) {
  EXPECT_EQ(fit_to_width("abcdef", 4), "abcd");
  EXPECT_EQ(fit_to_width("abc", 10), "abc");
  EXPECT_EQ(fit_to_width("", 3), "");
  const std::string spark = "loss ▁▂▃▄";  // each bar is 3 bytes, one column
  EXPECT_EQ(fit_to_width(spark, 7), "loss ▁▂");
  EXPECT_EQ(fit_to_width(spark, 9), spark);
  EXPECT_EQ(fit_to_width(spark, 0), "");
}
