#include "anneal/render/renderer.h"

#include "anneal/runtime/device.h"
#include "c_renderer.h"
#include "cuda_renderer.h"

namespace anneal {
namespace {
bool is_cuda(const std::string& device) { return canonical_device(device).rfind("CUDA", 0) == 0; }
}  // namespace

ProgramSource render_program(std::span<const ScheduledKernel> kernels, const std::string& device) {
  ProgramSource p;
  const bool cuda = is_cuda(device);
  p.language = cuda ? "cuda" : "c";
  p.code = cuda ? cuda_prelude() : c_prelude();
  for (const ScheduledKernel& k : kernels) {
    KernelEntry e{k.name, {1, 1, 1}, {1, 1, 1}, k.buffers.size()};
    p.code += "\n" + (cuda ? render_cuda(k, &e) : render_c(k));
    p.kernels.push_back(e);
  }
  return p;
}

std::string render_for(const ScheduledKernel& kernel, const std::string& device) {
  return is_cuda(device) ? render_cuda(kernel) : render_c(kernel);
}

}  // namespace anneal
