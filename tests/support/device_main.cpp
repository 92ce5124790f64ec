// The main of the suites that run on any device. With ANNEAL_DEVICE naming CUDA or WEBGPU on a machine
// where that device is not usable, the whole run is skipped (exit 77, which CTest reports as "Skipped") rather
// than silently falling back to the CPU.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "anneal/runtime/cuda_probe.h"
#include "anneal/runtime/webgpu_probe.h"
#include "anneal/support/settings.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::string device = anneal::settings::device.get();
  const bool listing = testing::GTEST_FLAG(list_tests);
  if (!listing && device.size() >= 4) {
    std::string d(device);
    for (char& c : d) c = char(std::toupper(static_cast<unsigned char>(c)));
    if (d.rfind("CUDA", 0) == 0) {
      const anneal::CudaInfo info = anneal::probe_cuda();
      if (!info.usable) {
        std::printf("SKIPPED: ANNEAL_DEVICE=%s but CUDA is not usable here: %s\n", device.c_str(), info.problem.c_str());
        return 77;
      }
    }
    if (d.rfind("WEBGPU", 0) == 0) {
      const anneal::WebGpuInfo info = anneal::probe_webgpu();
      if (!info.usable) {
        std::printf("SKIPPED: ANNEAL_DEVICE=%s but WebGPU is not usable here: %s\n", device.c_str(), info.problem.c_str());
        return 77;
      }
    }
  }
  return RUN_ALL_TESTS();
}
