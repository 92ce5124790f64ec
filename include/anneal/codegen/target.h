// What code generation needs to know about a device: which language its kernels are written in and
// which opts its hardware has. The device travels through the optimizer and the renderers as this
// object (runtime's Device::target() for a device in use), never as a name parsed again at each stop.
#pragma once
#include <cstdint>
#include <string>

#include "anneal/uop/dtype.h"

namespace anneal {

enum class Language : uint8_t { C, Cuda, Wgsl };

struct Target {
  std::string device;          // canonical device name ("CPU", "CUDA:1"): for reports and cache keys
  Language language = Language::C;
  bool gpu = false;            // blocks of cooperating threads: LOCAL, GROUP, STAGE and TC apply
  bool warpgroup_mma = false;  // Hopper's wgmma (compute 9.0, NVRTC targeting sm_90a): TC(1, n)
  int64_t max_block_threads = 1024;  // threads a block may have (WebGPU guarantees 256)
  bool matmul_forms = true;    // has code for claimed matmuls: SIMD on CPUs, TC and STAGE on GPUs
  int vector_width = 1;        // 4: four neighbouring aligned float32 loads or stores may be one access
};

// Whether kernels for `t` can hold and compute values of `d` (WebGPU has no 64-bit types).
bool supports_dtype(const Target& t, DType d);

// Targets that need no device present (tests, reports of what a device would run).
Target cpu_target();
Target cuda_target(int ordinal = 0, bool warpgroup_mma = false);
Target webgpu_target();

}  // namespace anneal
