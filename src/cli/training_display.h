// What `anneal train` prints while it trains. On a terminal: one line redrawn in place (progress bar,
// loss, a sparkline of the recent losses, rate, and fields of the caller's), plus lines that stay
// (e.g. validation losses). Elsewhere (or with --plain): the caller's key=value lines, one per report.
#pragma once
#include <string>
#include <vector>

namespace anneal::cli {

class TrainingDisplay {
 public:
  TrainingDisplay(int total_steps, bool plain);
  bool live() const { return live_; }
  // live: redraws the status line from step, loss, rate and `live_fields`; plain: prints `plain_line`.
  void report(int step, double loss, double steps_per_s, const std::string& live_fields, const std::string& plain_line);
  // A line that stays above the status line (live) or is printed as it is (plain).
  void note(const std::string& line);
  void finish();  // ends the status line

 private:
  int total_;
  bool live_;
  std::vector<double> recent_;
  std::string status_;
};

// A sparkline of the values, scaled to their own range.
std::string sparkline(const std::vector<double>& v);

// The first `columns` characters of a UTF-8 line (one column each), never cutting a character apart.
// A status line wider than the terminal would wrap, and the in-place redraw would then print a new
// line at every update.
std::string fit_to_width(const std::string& line, size_t columns);

// The terminal's width in columns (COLUMNS when the terminal does not say; 80 when neither does).
size_t terminal_columns();

}  // namespace anneal::cli
