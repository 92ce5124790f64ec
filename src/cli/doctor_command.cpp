#include "cli/doctor_command.h"

#include <fmt/format.h>

#include "anneal/runtime/cpu_compiler.h"
#include "anneal/runtime/cuda_probe.h"
#include "anneal/tensor/tensor.h"

namespace anneal::cli {
namespace {

// The CPU works if a small program compiles and computes the right value.
void check_cpu() {
  const CpuCompiler& cc = CpuCompiler::instance();
  Tensor t = (Tensor::arange(10, dtypes::float32) * 2.0 + 1.0).sum();
  const float got = t.item<float>();
  if (got != 100.0f) throw Error("CPU: a test kernel computed " + std::to_string(got) + " instead of 100");
  fmt::print("CPU   ok      {} ({})  flags: {}  cache: {}\n", cc.compiler(), cc.version(), cc.flags(), cc.cache_dir());
}

void report_cuda() {
  const CudaInfo info = probe_cuda();
  if (!info.usable && info.devices.empty()) {
    fmt::print("CUDA  absent  {}\n", info.problem);
    return;
  }
  for (size_t i = 0; i < info.devices.size(); ++i) {
    const CudaDevice& d = info.devices[i];
    fmt::print("CUDA:{} {}  {}  compute {}.{}  {:.1f} GiB  driver {}.{}  NVRTC {}\n", i, info.usable ? "found" : "broken",
               d.name, d.cc_major, d.cc_minor, double(d.memory_bytes) / double(1ull << 30), info.driver_version / 1000,
               (info.driver_version % 1000) / 10,
               info.nvrtc_major ? fmt::format("{}.{}", info.nvrtc_major, info.nvrtc_minor) : "missing");
  }
  if (!info.usable) fmt::print("CUDA  broken  {}\n", info.problem);
  else fmt::print("CUDA  note    the CUDA backend is not built yet; kernels run on the CPU\n");
}

}  // namespace

void register_doctor(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("doctor", "Report the devices anneal can use");
  cmd->callback([] {
    check_cpu();
    report_cuda();
  });
}

}  // namespace anneal::cli
