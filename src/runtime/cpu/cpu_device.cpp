// The CPU device: host memory, C kernels compiled by the system compiler, run on the thread pool.
#include "cpu_device.h"

#include <cstdlib>
#include <cstring>

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

class CpuDevice final : public Device {
 public:
  CpuDevice() : Device("CPU") {}

  std::string fingerprint() const override {
    const CpuCompiler& cc = CpuCompiler::instance();
    std::string model = cc.cpu_model();
    model.erase(0, model.find_first_not_of(" \t"));
    return "CPU " + model + " " + std::to_string(cpu_threads()) + " threads; " + cc.version() + " " + cc.flags();
  }

  std::shared_ptr<void> allocate(size_t bytes) override {
    std::shared_ptr<void> p = allocate_uninitialized(bytes);
    std::memset(p.get(), 0, rounded(bytes));
    return p;
  }
  std::shared_ptr<void> allocate_uninitialized(size_t bytes) override {
    void* p = std::aligned_alloc(64, rounded(bytes));
    if (!p) throw Error("CPU: out of memory allocating " + std::to_string(bytes) + " bytes");
    return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  }
  static size_t rounded(size_t bytes) { return ((bytes + 63) / 64) * 64 + 64; }  // never zero; room for vector over-reads
  void copy_from_host(void* dst, const void* host, size_t bytes) override { copy(dst, host, bytes); }
  void copy_to_host(void* host, const void* src, size_t bytes) override { copy(host, src, bytes); }
  void copy_on_device(void* dst, const void* src, size_t bytes) override { copy(dst, src, bytes); }

  std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) override {
    check(program.language == "c", [&] { return "CPU: cannot compile " + program.language + " kernels"; });
    std::vector<std::string> names;
    for (const KernelEntry& k : program.kernels) names.push_back(k.name);
    const std::vector<KernelFn> fns = CpuCompiler::instance().load(program.code, names);
    std::vector<std::shared_ptr<const Kernel>> out;
    for (size_t i = 0; i < fns.size(); ++i) out.push_back(std::make_shared<CpuKernel>(names[i], *this, fns[i]));
    return out;
  }

 private:
  static void copy(void* dst, const void* src, size_t bytes) {
    if (bytes) std::memmove(dst, src, bytes);
  }
};

}  // namespace

std::unique_ptr<Device> open_cpu_device() { return std::make_unique<CpuDevice>(); }

}  // namespace anneal
