#include "anneal/runtime/profile.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/disk_cache.h"
#include "anneal/support/settings.h"

namespace anneal {
namespace {

struct Totals {
  double ms = 0;
  long calls = 0;
};

std::mutex mu;
std::map<std::pair<std::string, std::string>, Totals>& table() {
  static auto& t = *new std::map<std::pair<std::string, std::string>, Totals>();
  return t;
}

// Where the process's compiler time went: every stage's total (a stage's time includes the stages
// nested in it, such as the compile inside a realize).
void print_stages() {
  std::vector<PassTotals> stages;
  for (PassTotals& t : passes_seen())
    if (t.kind == "stage") stages.push_back(std::move(t));
  if (stages.empty()) return;
  std::sort(stages.begin(), stages.end(), [](const PassTotals& a, const PassTotals& b) { return a.ms > b.ms; });
  std::fprintf(stderr, "\nANNEAL_PROFILE: stages (wall time; nested stages are included in their parents)\n%10s %6s  %s\n",
               "total ms", "runs", "stage");
  for (const PassTotals& t : stages)
    std::fprintf(stderr, "%10.3f %6llu  %s\n", t.ms, static_cast<unsigned long long>(t.runs), t.name.c_str());
}

void print_table() {
  print_stages();
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::pair<std::pair<std::string, std::string>, Totals>> rows(table().begin(), table().end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  double total = 0;
  for (const auto& r : rows) total += r.second.ms;
  std::fprintf(stderr, "\nANNEAL_PROFILE: %.3f ms in %zu kernels\n%8s %6s %10s %6s  %s\n", total, rows.size(), "total ms",
               "calls", "ms/call", "share", "device kernel");
  for (size_t i = 0; i < rows.size() && i < 25; ++i) {
    const auto& [key, t] = rows[i];
    std::fprintf(stderr, "%8.3f %6ld %10.4f %5.1f%%  %s %s\n", t.ms, t.calls, t.ms / double(t.calls),
                 total > 0 ? 100.0 * t.ms / total : 0.0, key.first.c_str(), key.second.c_str());
  }
}

}  // namespace

bool profiling() {
  static const bool on = [] {
    if (!settings::profile.get()) return false;
    std::atexit(print_table);
    return true;
  }();
  return on;
}

void record_kernel_time(const std::string& device, const std::string& kernel, double ms) {
  std::lock_guard<std::mutex> lock(mu);
  Totals& t = table()[{device, kernel}];
  t.ms += ms;
  ++t.calls;
}

void dump_program(const ProgramSource& program) {
  static const std::string dir = settings::dump_dir.get();
  if (dir.empty() || program.kernels.empty()) return;
  static std::atomic<int> counter{0};
  disk_cache::make_dirs(dir);
  const std::string path = dir + "/" + std::to_string(counter++) + "-" + program.kernels[0].name +
                           (program.language == "cuda" ? ".cu" : ".c");
  std::ofstream(path) << program.code();
}

}  // namespace anneal
