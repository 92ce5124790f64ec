// The CPU device: host memory, C kernels compiled by the system compiler, run on the thread pool.
#include "cpu_device.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "anneal/runtime/compile_units.h"
#include "anneal/runtime/cpu_compiler.h"
#include "anneal/support/error.h"

namespace anneal {
namespace {

class CpuKernel final : public Kernel {
 public:
  CpuKernel(std::string name, Device& device, KernelFn fn) : Kernel(std::move(name), device), fn_(fn) {}

 protected:
  void run(void* const* bufs) const override { launch_on_cpu(fn_, const_cast<void**>(bufs)); }

 private:
  KernelFn fn_;
};

// Freed blocks are kept by rounded size and handed out again: a training step allocates the same
// buffers every step, and fresh pages from the system fault in on first touch (W2 on two cores spent
// 17% of its step there). At most kMaxCached bytes wait in the cache; beyond that blocks go back.
class HostBlockCache {
 public:
  // 4 KiB granules up to 1 MiB, 1 MiB above, plus 64 bytes so vector loads may read past the end.
  static size_t round(size_t bytes) {
    const size_t g = bytes <= (size_t(1) << 20) ? 4096 : (size_t(1) << 20);
    return (bytes + g - 1) / g * g + 64;
  }
  void* get(size_t rounded) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= rounded;
        return p;
      }
    }
    void* p = std::aligned_alloc(64, (rounded + 63) / 64 * 64);
    if (!p) throw Error("CPU: out of memory allocating " + std::to_string(rounded) + " bytes");
    return p;
  }
  void put(void* p, size_t rounded) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + rounded <= kMaxCached) {
        free_[rounded].push_back(p);
        cached_ += rounded;
        return;
      }
    }
    std::free(p);
  }

 private:
  static constexpr size_t kMaxCached = size_t(1) << 30;
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

// Below this much kernel source a unit is not worth its own compiler process (~20 ms to start and
// read the prelude; C compiles at ~15 ms per KB of kernels).
constexpr size_t kMinUnitBytes = 32 * 1024;

class CpuDevice final : public Device {
 public:
  CpuDevice() : Device("CPU") {}

  Target target() const override { return cpu_target(); }

  std::string fingerprint() const override {
    const CpuCompiler& cc = CpuCompiler::instance();
    std::string model = cc.cpu_model();
    model.erase(0, model.find_first_not_of(" \t"));
    return "CPU " + model + " " + std::to_string(cpu_threads()) + " threads; " + cc.version() + " " + cc.flags();
  }

  std::shared_ptr<void> allocate(size_t bytes) override {
    std::shared_ptr<void> p = allocate_uninitialized(bytes);
    std::memset(p.get(), 0, HostBlockCache::round(bytes));
    return p;
  }
  std::shared_ptr<void> allocate_uninitialized(size_t bytes) override {
    const size_t rounded = HostBlockCache::round(bytes);
    HostBlockCache* cache = &cache_;  // the device is never destroyed (see get_device)
    return std::shared_ptr<void>(cache->get(rounded), [cache, rounded](void* q) { cache->put(q, rounded); });
  }
  void copy_from_host(void* dst, const void* host, size_t bytes) override { copy(dst, host, bytes); }
  void copy_to_host(void* host, const void* src, size_t bytes) override { copy(host, src, bytes); }
  void copy_on_device(void* dst, const void* src, size_t bytes) override { copy(dst, src, bytes); }

  std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) override {
    check(program.language == "c", [&] { return "CPU: cannot compile " + program.language + " kernels"; });
    // One compiler process per unit, one per core at a time (compile_units.h). Compile time is far
    // from proportional to source size (SIMD tiles take longest), so there are a few units per core,
    // taken by whichever core is free.
    const size_t cores = size_t(cpu_threads());
    const std::vector<ProgramSource> units = split_program(program, 4 * cores, kMinUnitBytes);
    std::vector<std::vector<KernelFn>> fns(units.size());
    run_parallel(units.size(), cores, [&](size_t u) {
      std::vector<std::string> names;
      for (const KernelEntry& k : units[u].kernels) names.push_back(k.name);
      fns[u] = CpuCompiler::instance().load(units[u].code(), names);
    });
    std::vector<std::shared_ptr<const Kernel>> out;
    for (size_t u = 0; u < units.size(); ++u)
      for (size_t i = 0; i < fns[u].size(); ++i) out.push_back(std::make_shared<CpuKernel>(units[u].kernels[i].name, *this, fns[u][i]));
    return out;
  }

 private:
  static void copy(void* dst, const void* src, size_t bytes) {
    if (bytes) std::memmove(dst, src, bytes);
  }
  HostBlockCache cache_;
};

}  // namespace

std::unique_ptr<Device> open_cpu_device() { return std::make_unique<CpuDevice>(); }

}  // namespace anneal
