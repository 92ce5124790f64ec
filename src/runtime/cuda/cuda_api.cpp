#include "cuda_api.h"

#include <dlfcn.h>

#include <initializer_list>

#include "anneal/support/error.h"

namespace anneal::cuda {
namespace {

// Resolves the first of `names` that the library exports into `fn`; false when none is there.
template <class F>
bool resolve(void* lib, F& fn, std::initializer_list<const char*> names) {
  fn = nullptr;
  for (const char* n : names)
    if (void* p = dlsym(lib, n)) {
      fn = reinterpret_cast<F>(p);
      return true;
    }
  return false;
}

struct LoadedDriver {
  Driver api;
  std::string problem;
};

LoadedDriver load_driver() {
  LoadedDriver out;
  Driver& d = out.api;
  d.library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!d.library) {
    out.problem = "libcuda.so.1 not found (no NVIDIA driver)";
    return out;
  }
  void* l = d.library;
  const bool ok = resolve(l, d.cuInit, {"cuInit"}) && resolve(l, d.cuDriverGetVersion, {"cuDriverGetVersion"}) &&
                  resolve(l, d.cuDeviceGetCount, {"cuDeviceGetCount"}) && resolve(l, d.cuDeviceGet, {"cuDeviceGet"}) &&
                  resolve(l, d.cuDeviceGetName, {"cuDeviceGetName"}) &&
                  resolve(l, d.cuDeviceGetAttribute, {"cuDeviceGetAttribute"}) &&
                  resolve(l, d.cuDeviceTotalMem, {"cuDeviceTotalMem_v2"}) &&
                  resolve(l, d.cuDevicePrimaryCtxRetain, {"cuDevicePrimaryCtxRetain"}) &&
                  resolve(l, d.cuCtxSetCurrent, {"cuCtxSetCurrent"}) &&
                  resolve(l, d.cuCtxSynchronize, {"cuCtxSynchronize"}) && resolve(l, d.cuMemAlloc, {"cuMemAlloc_v2"}) &&
                  resolve(l, d.cuMemFree, {"cuMemFree_v2"}) && resolve(l, d.cuMemGetInfo, {"cuMemGetInfo_v2"}) &&
                  resolve(l, d.cuMemsetD8Async, {"cuMemsetD8Async"}) &&
                  resolve(l, d.cuMemcpyHtoD, {"cuMemcpyHtoD_v2"}) && resolve(l, d.cuMemcpyDtoH, {"cuMemcpyDtoH_v2"}) &&
                  resolve(l, d.cuMemcpyDtoDAsync, {"cuMemcpyDtoDAsync_v2"}) &&
                  resolve(l, d.cuModuleLoadData, {"cuModuleLoadData"}) &&
                  resolve(l, d.cuModuleGetFunction, {"cuModuleGetFunction"}) &&
                  resolve(l, d.cuFuncSetAttribute, {"cuFuncSetAttribute"}) &&
                  resolve(l, d.cuLaunchKernel, {"cuLaunchKernel"}) && resolve(l, d.cuEventCreate, {"cuEventCreate"}) &&
                  resolve(l, d.cuEventRecord, {"cuEventRecord"}) &&
                  resolve(l, d.cuEventSynchronize, {"cuEventSynchronize"}) &&
                  resolve(l, d.cuEventElapsedTime, {"cuEventElapsedTime_v2", "cuEventElapsedTime"}) &&
                  resolve(l, d.cuEventDestroy, {"cuEventDestroy_v2"}) &&
                  resolve(l, d.cuGetErrorName, {"cuGetErrorName"}) &&
                  resolve(l, d.cuGetErrorString, {"cuGetErrorString"});
  if (!ok) {
    out.problem = "libcuda.so.1 lacks driver API entry points anneal needs (driver too old?)";
    return out;
  }
  if (CUresult r = d.cuInit(0); r != 0) out.problem = "cuInit failed: " + error_text(r) + " (no usable GPU?)";
  return out;
}

struct LoadedNvrtc {
  Nvrtc api;
  std::string problem;
};

LoadedNvrtc load_nvrtc() {
  LoadedNvrtc out;
  Nvrtc& n = out.api;
  for (const char* name : {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2",
                           "/usr/local/cuda/lib64/libnvrtc.so", "/usr/local/cuda/lib64/libnvrtc.so.13",
                           "/usr/local/cuda/lib64/libnvrtc.so.12"})
    if ((n.library = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
      n.path = name;
      break;
    }
  if (!n.library) {
    out.problem = "NVRTC (libnvrtc.so) not found: kernels cannot be compiled for the GPU";
    return out;
  }
  void* l = n.library;
  const bool ok = resolve(l, n.nvrtcVersion, {"nvrtcVersion"}) &&
                  resolve(l, n.nvrtcCreateProgram, {"nvrtcCreateProgram"}) &&
                  resolve(l, n.nvrtcCompileProgram, {"nvrtcCompileProgram"}) &&
                  resolve(l, n.nvrtcGetProgramLogSize, {"nvrtcGetProgramLogSize"}) &&
                  resolve(l, n.nvrtcGetProgramLog, {"nvrtcGetProgramLog"}) &&
                  resolve(l, n.nvrtcGetPTXSize, {"nvrtcGetPTXSize"}) && resolve(l, n.nvrtcGetPTX, {"nvrtcGetPTX"}) &&
                  resolve(l, n.nvrtcDestroyProgram, {"nvrtcDestroyProgram"}) &&
                  resolve(l, n.nvrtcGetErrorString, {"nvrtcGetErrorString"});
  if (!ok) {
    out.problem = "NVRTC at " + n.path + " lacks entry points anneal needs";
    return out;
  }
  resolve(l, n.nvrtcGetCUBINSize, {"nvrtcGetCUBINSize"});
  resolve(l, n.nvrtcGetCUBIN, {"nvrtcGetCUBIN"});
  resolve(l, n.nvrtcGetNumSupportedArchs, {"nvrtcGetNumSupportedArchs"});
  resolve(l, n.nvrtcGetSupportedArchs, {"nvrtcGetSupportedArchs"});
  return out;
}

}  // namespace

const Driver* driver(std::string* problem) {
  static const LoadedDriver loaded = load_driver();
  if (problem) *problem = loaded.problem;
  return loaded.problem.empty() ? &loaded.api : nullptr;
}

const Nvrtc* nvrtc(std::string* problem) {
  static const LoadedNvrtc loaded = load_nvrtc();
  if (problem) *problem = loaded.problem;
  return loaded.problem.empty() ? &loaded.api : nullptr;
}

std::string error_text(CUresult r) {
  // Looked up directly rather than through driver(): this also runs while the driver is loading.
  using Fn = CUresult (*)(CUresult, const char**);
  static void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  static Fn get_name = lib ? reinterpret_cast<Fn>(dlsym(lib, "cuGetErrorName")) : nullptr;
  static Fn get_text = lib ? reinterpret_cast<Fn>(dlsym(lib, "cuGetErrorString")) : nullptr;
  const char* name = nullptr;
  const char* text = nullptr;
  if (get_name) get_name(r, &name);
  if (get_text) get_text(r, &text);
  std::string s = name ? name : "CUDA error " + std::to_string(r);
  if (text) s += std::string(" (") + text + ")";
  return s;
}

void check_cu(CUresult r, const char* what) {
  if (r != 0) throw Error(std::string("CUDA: ") + what + " failed: " + error_text(r));
}

}  // namespace anneal::cuda
