#include "anneal/runtime/cuda_probe.h"

#include <dlfcn.h>

namespace anneal {
namespace {

// The subset of the driver and NVRTC APIs the probe calls (stable C ABIs; our own declarations).
using CUresult = int;
using CUdevice = int;
constexpr int kAttrCcMajor = 75, kAttrCcMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR/MINOR

template <class F>
F symbol(void* lib, const char* name) {
  return reinterpret_cast<F>(dlsym(lib, name));
}

void* open_first(const std::vector<std::string>& names, std::string& opened) {
  for (const std::string& n : names)
    if (void* h = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      opened = n;
      return h;
    }
  return nullptr;
}

}  // namespace

CudaInfo probe_cuda() {
  CudaInfo info;
  std::string opened;
  void* cuda = open_first({"libcuda.so.1"}, opened);
  if (!cuda) {
    info.problem = "libcuda.so.1 not found (no NVIDIA driver)";
    return info;
  }
  auto cuInit = symbol<CUresult (*)(unsigned)>(cuda, "cuInit");
  auto cuDriverGetVersion = symbol<CUresult (*)(int*)>(cuda, "cuDriverGetVersion");
  auto cuDeviceGetCount = symbol<CUresult (*)(int*)>(cuda, "cuDeviceGetCount");
  auto cuDeviceGet = symbol<CUresult (*)(CUdevice*, int)>(cuda, "cuDeviceGet");
  auto cuDeviceGetName = symbol<CUresult (*)(char*, int, CUdevice)>(cuda, "cuDeviceGetName");
  auto cuDeviceGetAttribute = symbol<CUresult (*)(int*, int, CUdevice)>(cuda, "cuDeviceGetAttribute");
  auto cuDeviceTotalMem = symbol<CUresult (*)(size_t*, CUdevice)>(cuda, "cuDeviceTotalMem_v2");
  if (!cuInit || !cuDriverGetVersion || !cuDeviceGetCount || !cuDeviceGet || !cuDeviceGetName || !cuDeviceGetAttribute ||
      !cuDeviceTotalMem) {
    info.problem = "libcuda.so.1 lacks the driver API entry points anneal needs (driver too old?)";
    return info;
  }
  if (CUresult r = cuInit(0); r != 0) {
    info.problem = "cuInit failed with CUDA error " + std::to_string(r) + " (no usable GPU?)";
    return info;
  }
  cuDriverGetVersion(&info.driver_version);
  int count = 0;
  cuDeviceGetCount(&count);
  for (int i = 0; i < count; ++i) {
    CUdevice d = 0;
    if (cuDeviceGet(&d, i) != 0) continue;
    CudaDevice dev;
    char name[256] = {};
    cuDeviceGetName(name, sizeof name, d);
    dev.name = name;
    cuDeviceGetAttribute(&dev.cc_major, kAttrCcMajor, d);
    cuDeviceGetAttribute(&dev.cc_minor, kAttrCcMinor, d);
    size_t mem = 0;
    cuDeviceTotalMem(&mem, d);
    dev.memory_bytes = mem;
    info.devices.push_back(dev);
  }
  if (info.devices.empty()) {
    info.problem = "the CUDA driver found no devices";
    return info;
  }
  void* nvrtc = open_first({"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2",
                            "/usr/local/cuda/lib64/libnvrtc.so"},
                           info.nvrtc_library);
  auto nvrtcVersion = nvrtc ? symbol<int (*)(int*, int*)>(nvrtc, "nvrtcVersion") : nullptr;
  if (!nvrtcVersion) {
    info.problem = "NVRTC (libnvrtc.so) not found: kernels cannot be compiled for the GPU";
    return info;
  }
  nvrtcVersion(&info.nvrtc_major, &info.nvrtc_minor);
  info.usable = true;
  return info;
}

}  // namespace anneal
