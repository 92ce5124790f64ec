// The CPU launcher: a persistent pool of worker threads. A kernel's outermost loop is cut into one share
// per core; the launching thread and the workers claim shares one at a time, so whichever threads are
// actually running do the work.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "anneal/runtime/cpu_compiler.h"
#include "anneal/support/settings.h"

namespace anneal {
namespace {

// Polls `ready` for about 50 microseconds; whether it became true. Waking a sleeping thread costs
// more than a small kernel (W2 on two cores spent 15% of its time in wake-ups when threads slept at
// once), but spinning longer steals the core from other processes on a busy machine.
template <class Ready>
bool spin(Ready ready) {
  for (int i = 0; i < 20000; ++i) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  return ready();
}

// Shares are claimed, not assigned: on a loaded machine the OS may not run a worker for milliseconds,
// and a launcher that waited for the worker's fixed share ran W2 three times slower than one thread
// (62-67 vs 19-20 ms). Now the launcher takes any share no worker has claimed yet, and waits only for
// shares already being computed.
class ThreadPool {
 public:
  explicit ThreadPool(int cores) : cores_(cores) {
    for (int c = 1; c < cores_; ++c) workers_.emplace_back([this] { work(); });
  }

  int cores() const { return cores_; }

  // One launch at a time: the shares belong to a single (fn, bufs), and a kernel already uses every
  // core, so launches from several threads take turns.
  void run(KernelFn fn, void** bufs) {
    if (cores_ == 1) return fn(bufs, 0, 1);
    std::lock_guard<std::mutex> turn(launch_mu_);
    fn_ = fn;
    bufs_ = bufs;
    finished_.store(0, std::memory_order_relaxed);
    next_share_.store(0, std::memory_order_release);  // publishes fn_ and bufs_ to whoever claims a share
    {
      std::lock_guard<std::mutex> lock(mu_);  // a worker about to sleep sees the new generation
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_.notify_all();
    compute_shares();
    auto all_done = [this] { return finished_.load(std::memory_order_acquire) == cores_; };
    if (spin(all_done)) return;
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, all_done);
  }

 private:
  // Claims and computes shares until none is left. A share claimed here belongs to the current launch:
  // the launch cannot end (and fn_ change) before every claimed share has finished.
  void compute_shares() {
    for (int share; (share = next_share_.fetch_add(1, std::memory_order_acq_rel)) < cores_;) {
      fn_(bufs_, share, cores_);
      if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == cores_) {
        std::lock_guard<std::mutex> lock(mu_);  // the launcher checks finished_ under it before sleeping
        done_.notify_one();
      }
    }
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      auto fresh = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin(fresh)) {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, fresh);
      }
      seen = generation_.load(std::memory_order_acquire);
      compute_shares();  // often nothing left: the launcher took the shares while this thread woke
    }
  }

  const int cores_;
  std::vector<std::thread> workers_;
  std::mutex launch_mu_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> next_share_{0};  // the next unclaimed share (>= cores_: none left)
  std::atomic<int> finished_{0};    // shares computed in this launch
  // Written before next_share_ is reset (release) and read after a share is claimed (acquire).
  KernelFn fn_ = nullptr;
  void** bufs_ = nullptr;
};

ThreadPool& pool() {
  // Immortal: the workers block forever on their condition; nothing is torn down at exit.
  static ThreadPool* p = [] {
    int n = int(std::thread::hardware_concurrency());
    if (const int64_t asked = settings::threads.get(); asked > 0) n = int(asked);
    return new ThreadPool(std::max(1, n));
  }();
  return *p;
}

}  // namespace

void launch_on_cpu(KernelFn fn, void** bufs) { pool().run(fn, bufs); }
int cpu_threads() { return pool().cores(); }

}  // namespace anneal
