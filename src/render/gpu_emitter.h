// The printer of GPU languages (CUDA, WGSL; internal to src/render): the launch entry and kernel
// signature, the thread and block indices (SPECIAL) and block-shared arrays (DEFINE_LOCAL) of a
// linearised program (codegen/linearize.h: lower_gpu_dims decides how threads map to outputs). The
// language table spells all of it; CUDA adds the claimed matmul forms (cuda_emitter.h).
#pragma once
#include <string>

#include "anneal/codegen/target.h"
#include "anneal/render/program.h"
#include "c_style.h"

namespace anneal {

class GpuEmitter : public CStyleEmitter {
 public:
  GpuEmitter(const ScheduledKernel& k, KernelEntry* entry, const LanguageTable& lang, Target target);
  // The kernel's source (declarations it needs at module scope first).
  std::string render_generic();

 protected:
  void open_kernel(const LinearKernel& program) override;
  void declare_special(const UOp& s) override;
  void declare_shared(const UOp& s) override;
  // The launch entry (threads per block, a grid of `blocks`) and the kernel's signature, up to the
  // opening brace.
  void open_signature(int64_t threads, int64_t blocks);
  // The block's index: 2-D grids (languages with a short x) fold back into one number.
  std::string block_index() const { return lang_.gpu.block; }

  KernelEntry* entry_;
  const Target target_;
  int64_t outputs_ = 1;  // elements the kernel writes
  int64_t threads_ = 1;  // per block

 private:
  std::string module_;  // module-scope declarations (WGSL's workgroup arrays)
};

}  // namespace anneal
