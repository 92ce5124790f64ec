#include "cli/doctor_command.h"

#include <fmt/format.h>

#include "anneal/runtime/cpu_compiler.h"
#include "anneal/runtime/cuda_probe.h"
#include "anneal/runtime/device.h"
#include "anneal/runtime/webgpu_probe.h"
#include "anneal/tensor/tensor.h"

namespace anneal::cli {
namespace {

// A device works if a small program compiles there and computes the right value.
void self_test(const std::string& device) {
  Tensor t = (Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10}, device) * 2.0 + 1.0).sum();
  const float got = t.item<float>();
  if (got != 100.0f) throw Error(device + ": a test kernel computed " + std::to_string(got) + " instead of 100");
}

void check_cpu() {
  const CpuCompiler& cc = CpuCompiler::instance();
  self_test("CPU");
  fmt::print("CPU    ok      {} ({})  flags: {}  cache: {}\n", cc.compiler(), cc.version(), cc.flags(), cc.cache_dir());
}

// One line per GPU; the GPUs run the self-test when the driver and NVRTC are both there.
void report_cuda() {
  const CudaInfo info = probe_cuda();
  if (info.devices.empty()) {
    fmt::print("CUDA   absent  {}\n", info.problem);
    return;
  }
  for (size_t i = 0; i < info.devices.size(); ++i) {
    const CudaDevice& d = info.devices[i];
    const std::string name = i == 0 ? "CUDA" : "CUDA:" + std::to_string(i);
    std::string status = info.usable ? "ok" : "broken";
    if (info.usable) {
      try {
        self_test(name);
      } catch (const Error& e) {
        status = "broken";
        fmt::print("{:<6} broken  {}\n", name, e.what());
      }
    }
    fmt::print("{:<6} {:<7} {}  compute {}.{}  {:.1f} GiB  driver {}.{}  NVRTC {}\n", name, status, d.name, d.cc_major,
               d.cc_minor, double(d.memory_bytes) / double(1ull << 30), info.driver_version / 1000,
               (info.driver_version % 1000) / 10,
               info.nvrtc_major ? fmt::format("{}.{}", info.nvrtc_major, info.nvrtc_minor) : "missing");
  }
  if (!info.usable) fmt::print("CUDA   broken  {}\n", info.problem);
}

// The WebGPU library and adapter; the device runs the self-test when both are there.
void report_webgpu() {
  const WebGpuInfo info = probe_webgpu();
  if (!info.usable) {
    fmt::print("WEBGPU absent  {}\n", info.problem);
    return;
  }
  std::string status = "ok";
  try {
    self_test("WEBGPU");
  } catch (const Error& e) {
    status = "broken";
    fmt::print("WEBGPU broken  {}\n", e.what());
  }
  fmt::print("WEBGPU {:<7} {} ({}, {} {})  f16: {}  max buffer {} MiB  {} threads/workgroup  library: {}\n", status,
             info.device, info.vendor, info.backend, info.adapter_type, info.shader_f16 ? "yes" : "no",
             info.max_binding_bytes >> 20, info.max_workgroup_threads, info.library);
}

}  // namespace

void register_doctor(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("doctor", "Report the devices anneal can use");
  // Exits 0 when the default device works (an anneal::Error otherwise, exit 1).
  cmd->callback([] {
    check_cpu();
    report_cuda();
    report_webgpu();
    self_test(default_device());
    fmt::print("default device: {}\n", default_device());
  });
}

}  // namespace anneal::cli
