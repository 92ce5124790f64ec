// Finds the CUDA driver (libcuda.so.1) and NVRTC with dlopen, using our own declarations of the few
// entry points needed: the anneal binary never links against CUDA and runs where it is absent.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace anneal {

struct CudaDevice {
  std::string name;
  int cc_major = 0, cc_minor = 0;
  uint64_t memory_bytes = 0;
};

struct CudaInfo {
  bool usable = false;
  std::string problem;  // why not usable, e.g. "libcuda.so.1 not found (no NVIDIA driver)"
  int driver_version = 0;  // e.g. 13000
  std::vector<CudaDevice> devices;
  std::string nvrtc_library;
  int nvrtc_major = 0, nvrtc_minor = 0;
};

CudaInfo probe_cuda();

// Whether CUDA device `index` can run kernels compiled for sm_90a (Hopper's warpgroup MMA, wgmma):
// compute capability exactly 9.0 and an NVRTC (12.0 or newer) that targets it. Probed once per
// process; false where there is no usable CUDA.
bool cuda_has_sm90a(int index);

}  // namespace anneal
