#include "anneal/render/renderer.h"

#include "c_renderer.h"
#include "cuda_renderer.h"

namespace anneal {

ProgramSource render_program(std::span<const ScheduledKernel> kernels, const Target& target) {
  ProgramSource p;
  const bool cuda = target.language == Language::Cuda;
  p.language = cuda ? "cuda" : "c";
  p.code = cuda ? cuda_prelude() : c_prelude();
  for (const ScheduledKernel& k : kernels) {
    KernelEntry e{k.name, {1, 1, 1}, {1, 1, 1}, k.buffers.size()};
    p.code += "\n" + (cuda ? render_cuda(k, &e) : render_c(k));
    p.kernels.push_back(e);
  }
  return p;
}

std::string render_kernel(const ScheduledKernel& kernel, const Target& target) {
  return target.language == Language::Cuda ? render_cuda(kernel) : render_c(kernel);
}

}  // namespace anneal
