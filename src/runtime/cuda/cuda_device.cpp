// The CUDA device: the primary context of one GPU, the legacy default stream (so launches and copies
// are ordered without explicit waits), a caching allocator, and kernels compiled by NVRTC.
#include "cuda_device.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "anneal/runtime/compile_units.h"
#include "anneal/runtime/cuda_probe.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "anneal/support/settings.h"
#include "cuda_api.h"
#include "nvrtc_compiler.h"

namespace anneal {
namespace {

using namespace cuda;

CUdeviceptr dptr(const void* p) { return reinterpret_cast<CUdeviceptr>(p); }

// Freed blocks are kept by size and handed out again: cuMemAlloc/cuMemFree synchronise the device
// and cost tens of microseconds, and a training step frees and allocates the same sizes every time.
// Reuse is safe without events because every launch and copy runs on the one stream in order.
class CachingAllocator {
 public:
  explicit CachingAllocator(const Driver& d, std::string device) : d_(d), device_(std::move(device)) {}

  static size_t round(size_t bytes) {
    const size_t granule = bytes < (size_t(1) << 20) ? 512 : (size_t(1) << 20);
    return std::max<size_t>(granule, (bytes + granule - 1) / granule * granule);
  }

  CUdeviceptr get(size_t rounded) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        const CUdeviceptr p = it->second.back();
        it->second.pop_back();
        cached_ -= rounded;
        return p;
      }
    }
    CUdeviceptr p = 0;
    CUresult r = d_.cuMemAlloc(&p, rounded);
    if (r == kErrorOutOfMemory) {  // give the cached blocks back and try once more
      release_cached();
      r = d_.cuMemAlloc(&p, rounded);
    }
    if (r == kErrorOutOfMemory) {
      size_t free_b = 0, total_b = 0;
      d_.cuMemGetInfo(&free_b, &total_b);
      throw Error(device_ + ": out of memory allocating " + std::to_string(rounded >> 20) + " MiB (" +
                  std::to_string(free_b >> 20) + " MiB free of " + std::to_string(total_b >> 20) + " MiB)");
    }
    check_cu(r, "cuMemAlloc");
    return p;
  }

  void put(CUdeviceptr p, size_t rounded) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[rounded].push_back(p);
    cached_ += rounded;
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mu_);
    d_.cuCtxSynchronize();
    for (auto& [size, blocks] : free_)
      for (CUdeviceptr p : blocks) d_.cuMemFree(p);
    free_.clear();
    cached_ = 0;
  }

 private:
  const Driver& d_;
  std::string device_;
  std::mutex mu_;
  std::map<size_t, std::vector<CUdeviceptr>> free_;
  size_t cached_ = 0;
};

class CudaKernel final : public Kernel {
 public:
  CudaKernel(Device& device, const Driver& d, CUcontext ctx, CUfunction fn, KernelEntry entry)
      : Kernel(entry.name, device), d_(d), ctx_(ctx), fn_(fn), entry_(std::move(entry)) {}

 protected:
  void run(void* const* bufs) const override {
    const auto& g = entry_.global;
    const auto& l = entry_.local;
    if (g[0] * g[1] * g[2] == 0) return;  // nothing to compute (an empty tensor)
    std::vector<void*> params(entry_.buffers + entry_.vars);
    for (size_t i = 0; i < entry_.buffers; ++i) params[i] = const_cast<void**>(&bufs[i]);
    // A variable's slot already holds the address of its 64-bit value, which is what the driver reads.
    for (size_t j = entry_.buffers; j < params.size(); ++j) params[j] = bufs[j];
    d_.cuCtxSetCurrent(ctx_);
    const CUresult r = d_.cuLaunchKernel(fn_, unsigned(g[0]), unsigned(g[1]), unsigned(g[2]), unsigned(l[0]),
                                         unsigned(l[1]), unsigned(l[2]), unsigned(entry_.shared_bytes), nullptr,
                                         params.data(), nullptr);
    if (r != 0) throw Error("CUDA: launching kernel " + entry_.name + " failed: " + error_text(r));
  }

 private:
  const Driver& d_;
  CUcontext ctx_;
  CUfunction fn_;
  KernelEntry entry_;
};

class CudaDeviceImpl final : public Device {
 public:
  CudaDeviceImpl(const Driver& d, int ordinal, const std::string& name)
      : Device(name), d_(d), alloc_(d, name), ordinal_(ordinal) {
    int count = 0;
    check_cu(d_.cuDeviceGetCount(&count), "cuDeviceGetCount");
    check(ordinal < count, [&] {
      return "device " + name + " does not exist (" + std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s") +
             " found)";
    });
    check_cu(d_.cuDeviceGet(&dev_, ordinal), "cuDeviceGet");
    check_cu(d_.cuDevicePrimaryCtxRetain(&ctx_, dev_), "cuDevicePrimaryCtxRetain");
    check_cu(d_.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent");
    check_cu(d_.cuDeviceGetAttribute(&cc_major_, kAttrComputeCapabilityMajor, dev_), "cuDeviceGetAttribute");
    check_cu(d_.cuDeviceGetAttribute(&cc_minor_, kAttrComputeCapabilityMinor, dev_), "cuDeviceGetAttribute");
  }

  // wgmma where the device is compute 9.0 and NVRTC targets sm_90a, unless ANNEAL_WGMMA=0.
  Target target() const override {
    const bool wgmma = settings::wgmma.get() && cuda_has_sm90a(ordinal_);
    return cuda_target(ordinal_, wgmma);
  }

  std::string fingerprint() const override {
    char model[256] = {};
    d_.cuDeviceGetName(model, sizeof model, dev_);
    return "CUDA " + std::string(model) + " sm_" + std::to_string(cc_major_) + std::to_string(cc_minor_);
  }

  std::shared_ptr<void> allocate(size_t bytes) override {
    std::shared_ptr<void> p = allocate_uninitialized(bytes);
    check_cu(d_.cuMemsetD8Async(dptr(p.get()), 0, CachingAllocator::round(bytes), nullptr), "cuMemsetD8Async");
    return p;
  }
  std::shared_ptr<void> allocate_uninitialized(size_t bytes) override {
    current();
    const size_t rounded = CachingAllocator::round(bytes);
    const CUdeviceptr p = alloc_.get(rounded);
    CachingAllocator* a = &alloc_;  // the device is never destroyed (see get_device)
    return std::shared_ptr<void>(reinterpret_cast<void*>(p), [a, rounded](void* q) { a->put(dptr(q), rounded); });
  }

  void copy_from_host(void* dst, const void* host, size_t bytes) override {
    if (!bytes) return;
    current();
    check_cu(d_.cuMemcpyHtoD(dptr(dst), host, bytes), "copy to the GPU (cuMemcpyHtoD)");
  }
  void copy_to_host(void* host, const void* src, size_t bytes) override {
    if (!bytes) return;
    current();
    // Synchronous: it also reports errors of kernels still running before it.
    check_cu(d_.cuMemcpyDtoH(host, dptr(src), bytes), "copy from the GPU (cuMemcpyDtoH)");
  }
  void copy_on_device(void* dst, const void* src, size_t bytes) override {
    if (!bytes) return;
    current();
    check_cu(d_.cuMemcpyDtoDAsync(dptr(dst), dptr(src), bytes, nullptr), "cuMemcpyDtoDAsync");
  }

  std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) override {
    check(program.language == "cuda", [&] { return name() + ": cannot compile " + program.language + " kernels"; });
    current();
    const std::vector<ProgramSource> units = split_program(program, 4 * compile_threads(), kMinUnitBytes);
    const std::vector<CUmodule> modules = load_modules(units);
    std::vector<std::shared_ptr<const Kernel>> out;
    for (size_t u = 0; u < units.size(); ++u) {
      for (const KernelEntry& k : units[u].kernels) {
        const CUmodule module = modules[u];
        CUfunction fn = nullptr;
        const CUresult r = d_.cuModuleGetFunction(&fn, module, k.name.c_str());
        if (r != 0) throw Error("CUDA: kernel " + k.name + " missing from its module: " + error_text(r));
        // More than 48 KiB of dynamic shared memory must be asked for (staged matmul tiles).
        constexpr int kAttrMaxDynamicShared = 8;  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
        if (k.shared_bytes > 48 * 1024) {
          const CUresult a = d_.cuFuncSetAttribute(fn, kAttrMaxDynamicShared, int(k.shared_bytes));
          if (a != 0)
            throw Error("CUDA: kernel " + k.name + " needs " + std::to_string(k.shared_bytes / 1024) +
                        " KiB of shared memory, more than this GPU gives a block: " + error_text(a));
        }
        out.push_back(std::make_shared<CudaKernel>(*this, d_, ctx_, fn, k));
      }
    }
    return out;
  }

  void synchronize() override {
    current();
    check_cu(d_.cuCtxSynchronize(), "cuCtxSynchronize (a kernel failed?)");
  }

  double time_ms(FunctionRef<void()> work) override {
    current();
    CUevent start = nullptr, stop = nullptr;
    check_cu(d_.cuEventCreate(&start, 0), "cuEventCreate");
    check_cu(d_.cuEventCreate(&stop, 0), "cuEventCreate");
    check_cu(d_.cuEventRecord(start, nullptr), "cuEventRecord");
    work();
    check_cu(d_.cuEventRecord(stop, nullptr), "cuEventRecord");
    check_cu(d_.cuEventSynchronize(stop), "cuEventSynchronize");
    float ms = 0;
    check_cu(d_.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
    d_.cuEventDestroy(start);
    d_.cuEventDestroy(stop);
    return double(ms);
  }

 private:
  void current() const { check_cu(d_.cuCtxSetCurrent(ctx_), "cuCtxSetCurrent"); }

  // Below this much kernel source a unit is not worth an NVRTC program of its own.
  static constexpr size_t kMinUnitBytes = 32 * 1024;
  static size_t compile_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

  // The module of each unit. Modules are kept for the life of the process, keyed on their source;
  // the units not loaded yet compile on several threads at once (NVRTC programs are independent)
  // and load on this one.
  std::vector<CUmodule> load_modules(const std::vector<ProgramSource>& units) {
    std::vector<Key128> keys;
    for (const ProgramSource& u : units) {
      Hasher h;
      h.bytes(u.code());
      keys.push_back(h.finish());
    }
    std::vector<CUmodule> modules(units.size(), nullptr);
    std::vector<size_t> missing;
    {
      const std::lock_guard<std::mutex> lock(modules_mu_);
      for (size_t u = 0; u < units.size(); ++u)
        if (auto it = modules_.find(keys[u]); it != modules_.end()) modules[u] = it->second;
        else missing.push_back(u);
    }
    std::vector<std::string> images(missing.size());
    run_parallel(missing.size(), compile_threads(), [&](size_t i) { images[i] = nvrtc_compile(units[missing[i]], cc_major_, cc_minor_); });
    const std::lock_guard<std::mutex> lock(modules_mu_);
    for (size_t i = 0; i < missing.size(); ++i) {
      const size_t u = missing[i];
      if (auto it = modules_.find(keys[u]); it != modules_.end()) {  // another thread loaded it meanwhile
        modules[u] = it->second;
        continue;
      }
      const CUresult r = d_.cuModuleLoadData(&modules[u], images[i].data());
      if (r != 0)
        throw Error("CUDA: loading the compiled module of " + units[u].kernels.front().name + " failed: " + error_text(r));
      modules_.emplace(keys[u], modules[u]);
    }
    return modules;
  }

  const Driver& d_;
  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  int cc_major_ = 0, cc_minor_ = 0;
  CachingAllocator alloc_;
  std::mutex modules_mu_;
  std::map<Key128, CUmodule> modules_;
  int ordinal_ = 0;
};

}  // namespace

std::unique_ptr<Device> open_cuda_device(int ordinal, const std::string& name) {
  std::string problem;
  const Driver* d = driver(&problem);
  if (!d) throw Error("device " + name + " is not usable: " + problem);
  if (!nvrtc(&problem)) throw Error("device " + name + " is not usable: " + problem);
  return std::make_unique<CudaDeviceImpl>(*d, ordinal, name);
}

}  // namespace anneal
