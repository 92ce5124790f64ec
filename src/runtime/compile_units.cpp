#include "anneal/runtime/compile_units.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace anneal {

std::vector<ProgramSource> split_program(const ProgramSource& program, size_t max_units, size_t min_bytes) {
  size_t total = 0;
  for (const KernelEntry& k : program.kernels) total += k.source.size();
  const size_t units = std::max<size_t>(1, std::min({max_units, program.kernels.size(), total / std::max<size_t>(1, min_bytes)}));
  std::vector<ProgramSource> out(units, ProgramSource{program.language, program.prelude, {}});
  // A kernel goes to the unit its middle byte falls in: consecutive, balanced, a huge one alone.
  size_t before = 0;
  for (const KernelEntry& k : program.kernels) {
    const size_t middle = before + k.source.size() / 2;
    out[std::min(units - 1, total ? middle * units / total : 0)].kernels.push_back(k);
    before += k.source.size();
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const ProgramSource& u) { return u.kernels.empty(); }), out.end());
  return out;
}

void run_parallel(size_t n, size_t threads, const std::function<void(size_t)>& work) {
  threads = std::min(n, std::max<size_t>(1, threads));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) work(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr first;
  std::mutex mu;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        work(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mu);
        if (!first) first = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace anneal
