// Finds a WebGPU library (Dawn) with dlopen and an adapter it can run kernels on. Like CUDA, WebGPU
// is loaded at run time: the binary runs where it is absent, and `anneal doctor` says why.
#pragma once
#include <cstdint>
#include <string>

namespace anneal {

struct WebGpuInfo {
  bool usable = false;
  std::string problem;  // why not usable, e.g. "no WebGPU adapter (...)"
  std::string library;  // the file that was loaded
  std::string vendor, device, architecture, backend, adapter_type;
  bool shader_f16 = false;
  uint64_t max_buffer_bytes = 0, max_binding_bytes = 0;
  uint32_t max_workgroup_threads = 0, max_workgroup_bytes = 0, max_storage_buffers = 0;
};

// Opens the adapter the WEBGPU device uses (once per process) and describes it.
WebGpuInfo probe_webgpu();

// Compiles a WGSL module into a pipeline for `entry` on Dawn's Null backend (no GPU or driver
// needed): "" when it is valid, else Dawn's messages. An anneal::Error when there is no library.
std::string validate_wgsl(const std::string& code, const std::string& entry);

}  // namespace anneal
