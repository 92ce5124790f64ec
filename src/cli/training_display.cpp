#include "cli/training_display.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace anneal::cli {

std::string sparkline(const std::vector<double>& v) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::string s;
  for (double x : v) s += bars[*hi > *lo ? std::min(7, int((x - *lo) / (*hi - *lo) * 7.999)) : 0];
  return s;
}

TrainingDisplay::TrainingDisplay(int total_steps, bool plain) : total_(total_steps), live_(!plain && isatty(STDOUT_FILENO)) {}

void TrainingDisplay::report(int step, double loss, double steps_per_s, const std::string& live_fields,
                             const std::string& plain_line) {
  if (!live_) {
    fmt::print("{}\n", plain_line);
    std::fflush(stdout);
    return;
  }
  recent_.push_back(loss);
  if (recent_.size() > 40) recent_.erase(recent_.begin());
  const int width = 30, done = std::clamp(int(double(step) / total_ * width), 0, width);
  status_ = fmt::format("[{}{}] {}/{}  loss {:.4f} {}  {:.2f} steps/s{}", std::string(size_t(done), '#'),
                        std::string(size_t(width - done), '-'), step, total_, loss, sparkline(recent_), steps_per_s,
                        live_fields);
  fmt::print("\r\033[K{}", status_);
  std::fflush(stdout);
}

void TrainingDisplay::note(const std::string& line) {
  if (live_) fmt::print("\r\033[K{}\n{}", line, status_);
  else fmt::print("{}\n", line);
  std::fflush(stdout);
}

void TrainingDisplay::finish() {
  if (live_) fmt::print("\n");
}

}  // namespace anneal::cli
