// The WASM build's devices: the compiler runs in the page (or Node) and builds graphs, schedules and
// kernel sources; the page runs the WGSL itself through navigator.gpu (web/). A device here is host
// memory with its code generation target: inputs live in WASM memory until the page uploads them,
// and asking it to compile a kernel is a clear error.
#include <cstdlib>
#include <cstring>

#include "anneal/support/error.h"
#include "device_registry.h"

namespace anneal {
namespace {

class HostDevice final : public Device {
 public:
  HostDevice(std::string name, Target target) : Device(std::move(name)), target_(std::move(target)) {}

  Target target() const override { return target_; }
  std::shared_ptr<void> allocate(size_t bytes) override {
    void* p = std::calloc(bytes ? bytes : 1, 1);
    check(p != nullptr, [&] { return name() + ": out of memory allocating " + std::to_string(bytes) + " bytes"; });
    return std::shared_ptr<void>(p, std::free);
  }
  void copy_from_host(void* dst, const void* host, size_t bytes) override { std::memcpy(dst, host, bytes); }
  void copy_to_host(void* host, const void* src, size_t bytes) override { std::memcpy(host, src, bytes); }
  void copy_on_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) override {
    throw Error(name() + ": the WASM build compiles no kernels (" + std::to_string(program.kernels.size()) +
                " asked for); the page runs their WGSL through navigator.gpu");
  }

 private:
  Target target_;
};

}  // namespace

std::unique_ptr<Device> open_device(const std::string& canonical) {
  if (canonical == "CPU") return std::make_unique<HostDevice>("CPU", cpu_target());
  if (canonical == "WEBGPU") return std::make_unique<HostDevice>("WEBGPU", webgpu_target());
  throw Error("device " + canonical + " is not usable: the WASM build has only CPU and WEBGPU");
}

bool cuda_usable() { return false; }

}  // namespace anneal
