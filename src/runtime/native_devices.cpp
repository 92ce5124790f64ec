#include "anneal/runtime/cuda_probe.h"
#include "cpu/cpu_device.h"
#include "cuda/cuda_device.h"
#include "device_registry.h"
#include "webgpu/webgpu_device.h"

namespace anneal {

std::unique_ptr<Device> open_device(const std::string& canonical) {
  if (canonical == "CPU") return open_cpu_device();
  if (canonical == "WEBGPU") return open_webgpu_device();
  return open_cuda_device(canonical == "CUDA" ? 0 : std::stoi(canonical.substr(5)), canonical);
}

bool cuda_usable() {
  static const bool usable = probe_cuda().usable;
  return usable;
}

}  // namespace anneal
