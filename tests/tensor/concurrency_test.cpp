// Several threads building and realizing their own programs at once (the concurrency contract in the
// README): every value is checked against the host or against the same program run alone.
//
// Each thread mixes, per iteration: a matmul program of its own size and one of a size every thread
// shares (the same kernels and schedule-cache entries used by several threads at once), a random draw
// checked through a reduction, and a training step (backward + Adam) of a small model whose
// parameters must follow, bit for bit, the trajectory of the same model trained alone. Every thread
// also owns a Jit that replays a step. Sized for CI's sanitizer stage (ThreadSanitizer).
#include <gtest/gtest.h>

#include <cmath>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "anneal/nn/optim.h"
#include "anneal/runtime/cpu_compiler.h"
#include "anneal/tensor/jit.h"
#include "anneal/tensor/tensor.h"
#include "../support/device_float.h"

using namespace anneal;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

// The first failures of all threads (a data race tends to produce many).
class Failures {
 public:
  void add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (first_.size() < 12) first_.push_back(std::move(what));
  }
  size_t count() const { return count_; }
  std::string report() const {
    std::string r;
    for (const std::string& f : first_) r += f + "\n";
    return r;
  }

 private:
  std::mutex mu_;
  size_t count_ = 0;
  std::vector<std::string> first_;
};

std::vector<float> random_values(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> small(-8, 8);  // exact in float32 sums of a few hundred terms
  std::vector<float> v(n);
  for (float& x : v) x = float(small(rng)) * 0.25f;
  return v;
}

// (A @ B + 1).relu().sum(axis 1) against the same arithmetic on the host (exact: small dyadic values).
void check_matmul_program(int64_t n, int64_t k, int64_t m, std::mt19937& rng, const std::string& where, Failures& f) {
  const std::vector<float> a = random_values(rng, size_t(n * k)), b = random_values(rng, size_t(k * m));
  Tensor A = Tensor::from_vector(a, {n, k}), B = Tensor::from_vector(b, {k, m});
  const std::vector<float> got = (A.matmul(B) + 1).relu().sum({1}).to_vector<float>();
  for (int64_t i = 0; i < n; ++i) {
    double want = 0;
    for (int64_t j = 0; j < m; ++j) {
      double dot = 1;
      for (int64_t t = 0; t < k; ++t) dot += double(a[size_t(i * k + t)]) * double(b[size_t(t * m + j)]);
      want += std::max(dot, 0.0);
    }
    if (double(got[size_t(i)]) != want) {
      f.add(where + " matmul " + std::to_string(n) + "x" + std::to_string(k) + "x" + std::to_string(m) + " row " +
            std::to_string(i) + ": got " + std::to_string(got[size_t(i)]) + " want " + std::to_string(want));
      return;
    }
  }
}

// A linear model trained with Adam on fixed data: the parameters after each step.
struct TinyModel {
  Tensor w, b, x, t;
  std::unique_ptr<nn::Adam> opt;
  TinyModel() {
    std::vector<float> wv(12), bv(3), xv(32), tv(24);
    for (size_t i = 0; i < wv.size(); ++i) wv[i] = 0.1f * float(int(i % 5) - 2);
    for (size_t i = 0; i < bv.size(); ++i) bv[i] = 0.05f * float(i);
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = 0.25f * float(int(i % 7) - 3);
    for (size_t i = 0; i < tv.size(); ++i) tv[i] = 0.5f * float(int(i % 3) - 1);
    w = Tensor::from_vector(wv, {3, 4}).requires_grad();
    b = Tensor::from_vector(bv, {3}).requires_grad();
    x = Tensor::from_vector(xv, {8, 4});
    t = Tensor::from_vector(tv, {8, 3});
    opt = std::make_unique<nn::Adam>(std::vector<Tensor>{w, b}, 0.05);
  }
  // One step; the loss before it, then the parameters after it.
  std::vector<float> step() {
    Tensor diff = x.matmul(w.transpose()) + b - t;
    Tensor loss = (diff * diff).mean();
    const float l = float(opt->step(loss));
    std::vector<float> out = {l};
    for (float v : w.to_vector<float>()) out.push_back(v);
    for (float v : b.to_vector<float>()) out.push_back(v);
    return out;
  }
};

}  // namespace

TEST(Concurrency, ThreadsRealizingAtOnceGetTheValuesOfARunAlone) {
  const int threads = env_int("ANNEAL_TEST_THREADS", 8), iterations = env_int("ANNEAL_TEST_ITERATIONS", 50);
  constexpr int kTrainSteps = 3;

  // The oracle of the training steps: the same model trained alone, before any thread starts.
  std::vector<std::vector<float>> alone;
  {
    TinyModel m;
    for (int s = 0; s < kTrainSteps; ++s) alone.push_back(m.step());
  }

  Failures failures;
  std::mutex draws_mu;
  std::set<std::vector<float>> draws;
  auto work = [&](int tid) {
    try {
      std::mt19937 rng(uint32_t(1234 + tid));
      const int64_t own = 16 + 8 * (tid % 4);  // 16, 24, 32, 40: some threads share a size
      Jit doubled([](const std::vector<Tensor>& in) { return std::vector<Tensor>{(in[0] * 2 + 1).sum({1})}; });
      for (int it = 0; it < iterations; ++it) {
        const std::string where = "thread " + std::to_string(tid) + " iter " + std::to_string(it);
        check_matmul_program(own, own + 3, 12, rng, where, failures);
        check_matmul_program(64, 64, 64, rng, where, failures);

        // A random draw: its reduction on the device must equal the host's sum of the values read.
        Tensor r = Tensor::randn({64});
        const std::vector<float> rv = r.to_vector<float>();
        double host = 0;
        for (float v : rv) host += double(v);
        const double dev = r.cast(anneal::testing::device_float()).sum().item<double>();
        if (std::abs(dev - host) > anneal::testing::float_tol(1e-9) * (1 + std::abs(host)))
          failures.add(where + " randn sum: got " + std::to_string(dev) + " want " + std::to_string(host));
        {
          std::lock_guard<std::mutex> lock(draws_mu);
          if (!draws.insert(rv).second) failures.add(where + ": a random draw repeated another thread's draw");
        }

        // The Jit: every call (run, capture, replays) against the host.
        const std::vector<float> xv = random_values(rng, 6 * 5);
        const std::vector<float> jv = doubled({Tensor::from_vector(xv, {6, 5})})[0].to_vector<float>();
        for (size_t row = 0; row < 6; ++row) {
          float want = 0;
          for (size_t c = 0; c < 5; ++c) want += xv[row * 5 + c] * 2 + 1;
          if (jv[row] != want) {
            failures.add(where + " jit row " + std::to_string(row) + ": got " + std::to_string(jv[row]) + " want " +
                         std::to_string(want));
            break;
          }
        }

        if (it % 10 == 0) {  // training: backward and Adam, bit-identical to the run alone
          TinyModel m;
          for (int s = 0; s < kTrainSteps; ++s)
            if (m.step() != alone[size_t(s)]) failures.add(where + " training step " + std::to_string(s) + " differs from the run alone");
        }
      }
    } catch (const std::exception& e) {
      failures.add("thread " + std::to_string(tid) + " threw: " + e.what());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (std::thread& t : pool) t.join();
  EXPECT_EQ(failures.count(), 0u) << failures.report();
  EXPECT_EQ(draws.size(), size_t(threads) * size_t(iterations));
}

// The CPU pool hands out a launch's shares to whichever threads claim them: each share of each launch
// must run exactly once, with launches arriving from several threads at once.
TEST(Concurrency, EveryShareOfEveryCpuLaunchRunsExactlyOnce) {
  constexpr int kLaunchers = 4, kLaunches = 2000;
  struct Tally {
    std::vector<std::atomic<int>> runs;
    std::atomic<int> wrong_cores{0};
    explicit Tally(int cores) : runs(size_t(cores)) {}
  };
  const KernelFn count_share = [](void** bufs, int core, int cores) {
    auto* tally = static_cast<Tally*>(bufs[0]);
    if (cores != int(tally->runs.size())) ++tally->wrong_cores;
    else ++tally->runs[size_t(core)];
  };
  std::atomic<int> bad_launches{0};
  auto launcher = [&] {
    for (int i = 0; i < kLaunches; ++i) {
      Tally tally(cpu_threads());
      void* bufs[] = {&tally};
      launch_on_cpu(count_share, bufs);
      bool exact = tally.wrong_cores == 0;
      for (const std::atomic<int>& r : tally.runs) exact &= r == 1;
      if (!exact) ++bad_launches;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kLaunchers; ++t) threads.emplace_back(launcher);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad_launches, 0) << "of " << kLaunchers * kLaunches << " launches on " << cpu_threads() << " threads";
}
