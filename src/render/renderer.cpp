#include "anneal/render/renderer.h"

#include "c_renderer.h"
#include "cuda_renderer.h"
#include "gpu_emitter.h"
#include "wgsl_renderer.h"

namespace anneal {

std::string render_wgsl(const ScheduledKernel& kernel, KernelEntry* entry) {
  return GpuEmitter(kernel, entry, wgsl_language(), webgpu_target()).render_generic();
}

namespace {

struct LanguageEntry {
  const char* name;
  const std::string& (*prelude)();
  std::string (*render)(const ScheduledKernel&, KernelEntry*);
};

std::string render_c_entry(const ScheduledKernel& k, KernelEntry*) { return render_c(k); }

LanguageEntry entry_for(Language language) {
  switch (language) {
    case Language::Cuda: return {"cuda", cuda_prelude, render_cuda};
    case Language::Wgsl: return {"wgsl", wgsl_prelude, render_wgsl};
    case Language::C: break;
  }
  return {"c", c_prelude, render_c_entry};
}

}  // namespace

ProgramSource render_program(std::span<const ScheduledKernel> kernels, const Target& target) {
  const LanguageEntry language = entry_for(target.language);
  ProgramSource p;
  p.language = language.name;
  p.prelude = language.prelude();
  for (const ScheduledKernel& k : kernels) {
    KernelEntry e;
    e.name = k.name;
    e.buffers = k.buffers.size();
    e.vars = k.vars.size();
    e.source = language.render(k, &e);
    p.kernels.push_back(std::move(e));
  }
  return p;
}

std::string render_kernel(const ScheduledKernel& kernel, const Target& target) {
  return entry_for(target.language).render(kernel, nullptr);
}

}  // namespace anneal
