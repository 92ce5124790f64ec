#include "anneal/runtime/cuda_probe.h"

#include "cuda_api.h"

namespace anneal {

CudaInfo probe_cuda() {
  CudaInfo info;
  const cuda::Driver* d = cuda::driver(&info.problem);
  if (!d) return info;
  d->cuDriverGetVersion(&info.driver_version);
  int count = 0;
  d->cuDeviceGetCount(&count);
  for (int i = 0; i < count; ++i) {
    cuda::CUdevice dev = 0;
    if (d->cuDeviceGet(&dev, i) != 0) continue;
    CudaDevice out;
    char name[256] = {};
    d->cuDeviceGetName(name, sizeof name, dev);
    out.name = name;
    d->cuDeviceGetAttribute(&out.cc_major, cuda::kAttrComputeCapabilityMajor, dev);
    d->cuDeviceGetAttribute(&out.cc_minor, cuda::kAttrComputeCapabilityMinor, dev);
    size_t mem = 0;
    d->cuDeviceTotalMem(&mem, dev);
    out.memory_bytes = mem;
    info.devices.push_back(out);
  }
  if (info.devices.empty()) {
    info.problem = "the CUDA driver found no devices";
    return info;
  }
  const cuda::Nvrtc* n = cuda::nvrtc(&info.problem);
  if (!n) return info;
  info.nvrtc_library = n->path;
  n->nvrtcVersion(&info.nvrtc_major, &info.nvrtc_minor);
  info.usable = true;
  return info;
}

bool cuda_has_sm90a(int index) {
  static const CudaInfo info = probe_cuda();
  if (!info.usable || index < 0 || size_t(index) >= info.devices.size() || info.nvrtc_major < 12) return false;
  const CudaDevice& d = info.devices[size_t(index)];
  return d.cc_major == 9 && d.cc_minor == 0;
}

}  // namespace anneal
