// The CUDA renderer: the GPU emitter (gpu_emitter.h) with the CUDA table (c_language.cpp), and the
// matmul forms an opt claimed (TC, STAGE) from cuda_gemm.cpp.
#include "cuda_renderer.h"

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "cuda_emitter.h"

namespace anneal {

std::string CudaEmitter::render() {
  const UOp wmma = find_wmma(k_.ast);
  if (!wmma) return render_generic();
  const GemmArg& arg = gemm_arg(wmma);
  const GemmPlan plan = gemm_plan(wmma);
  switch (arg.form) {
    case GemmForm::StagedTile: return run_staged(plan, arg.tile);
    case GemmForm::MmaDirect: return run_tensor_core(plan, arg.tiles_m, arg.tiles_n);
    case GemmForm::MmaStaged: return run_staged_tensor_core(plan, arg.tile);
    case GemmForm::Warpgroup: return run_warpgroup_tensor_core(plan, arg.tile);
    case GemmForm::SimdTile: break;
  }
  throw Error("CUDA renderer: kernel " + k_.name + " claims the CPU's SIMD matmul form");
}

const std::string& cuda_prelude() {
  // src/render/preludes/ and the matmul main loops' templates (src/render/gemm/), embedded at build
  // time.
  static const std::string prelude = std::string(
#include "cuda_prelude.cuh.inc"
                                     ) + std::string(
#include "staged_tile.cuh.inc"
                                     ) + std::string(
#include "tensor_core.cuh.inc"
                                     ) + std::string(
#include "mma_staged.cuh.inc"
                                     ) + std::string(
#include "wgmma.cuh.inc"
                                     );
  return prelude;
}

std::string render_cuda(const ScheduledKernel& kernel, KernelEntry* entry) { return CudaEmitter(kernel, entry).render(); }

}  // namespace anneal
