// The CPU launcher: a persistent pool of worker threads; each launch gives every core its share of the
// kernel's outermost loop and waits for all of them.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "anneal/runtime/cpu_compiler.h"

namespace anneal {
namespace {

// Workers and the launching thread spin briefly before they sleep: a training step launches dozens
// of kernels back to back, and waking a sleeping thread costs more than a small kernel (W2 on two
// cores spent 15% of its time in the scheduler's wake-ups).
class ThreadPool {
 public:
  explicit ThreadPool(int cores) : cores_(cores) {
    for (int c = 1; c < cores_; ++c) workers_.emplace_back([this, c] { work(c); });
  }

  int cores() const { return cores_; }

  void run(KernelFn fn, void** bufs) {
    if (cores_ == 1) return fn(bufs, 0, 1);
    fn_ = fn;
    bufs_ = bufs;
    pending_.store(cores_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);  // a worker about to sleep sees the new generation
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    fn(bufs, 0, cores_);
    if (spin([this] { return pending_.load(std::memory_order_acquire) == 0; })) return;
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }

 private:
  // Polls `ready` for about 50 microseconds; whether it became true.
  template <class Ready>
  static bool spin(Ready ready) {
    for (int i = 0; i < 20000; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return ready();
  }

  void work(int core) {
    uint64_t seen = 0;
    for (;;) {
      auto fresh = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin(fresh)) {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, fresh);
      }
      seen = generation_.load(std::memory_order_acquire);
      fn_(bufs_, core, cores_);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);  // the launcher checks pending_ under it before sleeping
        done_.notify_one();
      }
    }
  }

  const int cores_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  // Written before generation_ is published (release) and read after it is seen (acquire).
  KernelFn fn_ = nullptr;
  void** bufs_ = nullptr;
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
