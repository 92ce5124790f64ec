#include "cli/training_display.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace anneal::cli {

std::string sparkline(const std::vector<double>& v) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (v.empty()) return "";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::string s;
  for (double x : v) s += bars[*hi > *lo ? std::min(7, int((x - *lo) / (*hi - *lo) * 7.999)) : 0];
  return s;
}

std::string fit_to_width(const std::string& line, size_t columns) {
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const bool starts_character = (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;  // not a continuation byte
    if (starts_character && chars++ == columns) return line.substr(0, i);
  }
  return line;
}

size_t terminal_columns() {
  winsize w{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  if (const char* env = std::getenv("COLUMNS"); env && std::atoi(env) > 0) return size_t(std::atoi(env));
  return 80;
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
  // One column spare: some terminals wrap as soon as the last column is written.
  status_ = fit_to_width(status_, std::max<size_t>(terminal_columns(), 2) - 1);
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
