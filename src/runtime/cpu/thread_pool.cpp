// The CPU launcher: a persistent pool of worker threads; each launch gives every core its share of the
// kernel's outermost loop and waits for all of them.
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "anneal/runtime/cpu_compiler.h"

namespace anneal {
namespace {

class ThreadPool {
 public:
  explicit ThreadPool(int cores) : cores_(cores) {
    for (int c = 1; c < cores_; ++c) workers_.emplace_back([this, c] { work(c); });
  }

  int cores() const { return cores_; }

  void run(KernelFn fn, void** bufs) {
    if (cores_ == 1) return fn(bufs, 0, 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = fn;
      bufs_ = bufs;
      pending_ = cores_ - 1;
      ++generation_;
    }
    start_.notify_all();
    fn(bufs, 0, cores_);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void work(int core) {
    uint64_t seen = 0;
    for (;;) {
      KernelFn fn;
      void** bufs;
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        fn = fn_;
        bufs = bufs_;
      }
      fn(bufs, core, cores_);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  const int cores_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  uint64_t generation_ = 0;
  KernelFn fn_ = nullptr;
  void** bufs_ = nullptr;
  int pending_ = 0;
};

ThreadPool& pool() {
  // Immortal: the workers block forever on their condition; nothing is torn down at exit.
  static ThreadPool* p = [] {
    int n = int(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("ANNEAL_THREADS"); env && std::atoi(env) > 0) n = std::atoi(env);
    return new ThreadPool(std::max(1, n));
  }();
  return *p;
}

}  // namespace

void launch_on_cpu(KernelFn fn, void** bufs) { pool().run(fn, bufs); }
int cpu_threads() { return pool().cores(); }

}  // namespace anneal
